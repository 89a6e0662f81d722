"""``temporal_ensemble``: ACT's temporal ensembling over every prediction of a time slot.

Each tick's action is the weighted mean of all predictions made for it, with weight
``exp(-m * i)`` for the i-th prediction of that tick (i = 0 the oldest; m = 0.01 in ACT),
kept as a running sum as ``ACTTemporalEnsembler`` does.
"""

from __future__ import annotations

import numpy as np

from ..timeline import Plan
from .base import BoundaryContext, BoundaryStrategy


class TemporalEnsembleStrategy(BoundaryStrategy):
    name = 'temporal_ensemble'

    def __init__(self, config=None, refiner=None):
        super().__init__(config, refiner)
        self.reset()

    def reset(self) -> None:
        self._first = 0
        self._sum = np.zeros((0, 0))  # weighted sum of predictions per tick
        self._weight = np.zeros(0)  # sum of weights per tick
        self._count = np.zeros(0, dtype=np.int64)  # predictions per tick

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        fresh = ctx.new_fresh
        if fresh is None:
            return None
        n = fresh.positions.shape[0]
        s = np.zeros_like(fresh.positions)
        wsum, count = np.zeros(n), np.zeros(n, dtype=np.int64)
        if self._count.size:  # carry the running sums of the ticks still ahead
            lo = max(fresh.first_tick, self._first)
            hi = min(fresh.last_tick, self._first + self._count.size - 1)
            if hi >= lo:
                src = slice(lo - self._first, hi - self._first + 1)
                dst = slice(lo - fresh.first_tick, hi - fresh.first_tick + 1)
                s[dst], wsum[dst], count[dst] = self._sum[src], self._weight[src], self._count[src]
        w = np.exp(-self.config.ensemble_m * count)
        s += w[:, None] * fresh.positions
        wsum += w
        count += 1
        self._first, self._sum, self._weight, self._count = fresh.first_tick, s, wsum, count
        return Plan(fresh.first_tick, s / wsum[:, None], fresh.chunk_id)
