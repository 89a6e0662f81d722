"""``sync``: stop-and-go. A chunk is executed in full, from its first action, never cut.

With the ``sync`` trigger the robot rests while the policy thinks, so the observation is
still valid when the chunk arrives: the chunk is shifted in time to start at the next tick
instead of having its "stale" actions dropped. A chunk that arrives while another is still
running waits for it to finish (only the newest waiting chunk is kept), which is also how a
stream recorded asynchronously is replayed as stop-and-go.
"""

from __future__ import annotations

import numpy as np

from ..timeline import Plan
from .base import BoundaryContext, BoundaryStrategy


class SyncStrategy(BoundaryStrategy):
    name = 'sync'

    def __init__(self, config=None, refiner=None):
        super().__init__(config, refiner)
        self.reset()

    def reset(self) -> None:
        self._running_end: int | None = None  # last tick of the chunk being executed

    def merge(self, ctx: BoundaryContext) -> Plan:
        splice = ctx.splice_tick
        current = ctx.current.from_tick(splice) if ctx.current is not None else None
        if current is None:
            self._running_end = splice + ctx.new.positions.shape[0] - 1
            return Plan(splice, ctx.new.positions, ctx.new.chunk_id)
        if self._running_end is None or self._running_end < splice:
            self._running_end = current.last_tick  # the queued chunk has started running
        _, running = current.window(splice, self._running_end)
        return Plan(splice, np.vstack([running, ctx.new.positions]), ctx.new.chunk_id,
                    takeover=splice + running.shape[0])
