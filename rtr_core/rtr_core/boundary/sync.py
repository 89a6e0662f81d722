"""``sync``: stop-and-go. Every action of every chunk is executed, in order, none dropped.

With the ``sync`` trigger the robot rests while the policy thinks, so the observation is
still valid when the chunk arrives: the chunk is shifted in time to start at the next tick
(or after the plan still running) instead of having its "stale" actions dropped.
"""

from __future__ import annotations

import numpy as np

from ..executor.timeline import Plan
from .base import BoundaryContext, BoundaryStrategy


class SyncStrategy(BoundaryStrategy):
    name = 'sync'

    def merge(self, ctx: BoundaryContext) -> Plan:
        current = ctx.current.from_tick(ctx.splice_tick) if ctx.current is not None else None
        if current is None:
            return Plan(ctx.splice_tick, ctx.new.positions, ctx.new.chunk_id)
        return Plan(current.first_tick, np.vstack([current.positions, ctx.new.positions]),
                    ctx.new.chunk_id)
