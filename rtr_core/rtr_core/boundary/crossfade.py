"""``crossfade``: fade linearly from the old plan to the new chunk over their overlap.

Over the first L overlapping ticks (the whole overlap, or ``crossfade_ticks``) the weight of
the new chunk rises as (i + 1) / (L + 1); after the overlap only the new chunk is used.
"""

from __future__ import annotations

import numpy as np

from ..timeline import Plan
from .base import BoundaryContext, BoundaryStrategy


class CrossfadeStrategy(BoundaryStrategy):
    name = 'crossfade'

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        fresh = ctx.new_fresh
        if fresh is None or ctx.current is None:
            return fresh
        ticks, old = ctx.current.window(fresh.first_tick, fresh.last_tick)
        n = ticks.size
        if self.config.crossfade_ticks > 0:
            n = min(n, self.config.crossfade_ticks)
        if n == 0:
            return fresh
        out = fresh.positions.copy()
        w = (np.arange(1, n + 1) / (n + 1))[:, None]
        rows = ticks[:n] - fresh.first_tick
        out[rows] = (1.0 - w) * old[:n] + w * out[rows]
        return Plan(fresh.first_tick, out, fresh.chunk_id)
