"""``weighted_average``: LeRobot async inference's merge of overlapping chunks.

As ``RobotClient._aggregate_action_queues`` (LeRobot 0.4.4): the new queue holds only the
new chunk's not yet executed actions; where the old queue had an action for the same time
step the result is ``w_old * old + w_new * new`` (old being the possibly already merged
queued action). Presets are LeRobot's ``get_aggregate_function`` names.
"""

from __future__ import annotations

from ..timeline import Plan
from .base import BoundaryContext, BoundaryError, BoundaryStrategy

PRESETS = {
    'weighted_average': (0.3, 0.7),
    'average': (0.5, 0.5),
    'conservative': (0.7, 0.3),
    'latest_only': (0.0, 1.0),
}


class WeightedAverageStrategy(BoundaryStrategy):
    name = 'weighted_average'

    def __init__(self, config=None, refiner=None):
        super().__init__(config, refiner)
        if self.config.weights is not None:
            w_old, w_new = (float(w) for w in self.config.weights)
        elif self.config.preset in PRESETS:
            w_old, w_new = PRESETS[self.config.preset]
        else:
            raise BoundaryError(f'weighted_average preset {self.config.preset!r}: expected '
                                f'one of {", ".join(PRESETS)} or explicit weights')
        self.w_old, self.w_new = w_old, w_new

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        fresh = ctx.new_fresh
        if fresh is None or ctx.current is None:
            return fresh
        out = fresh.positions.copy()
        ticks, old = ctx.current.window(fresh.first_tick, fresh.last_tick)
        rows = ticks - fresh.first_tick
        out[rows] = self.w_old * old + self.w_new * out[rows]
        return Plan(fresh.first_tick, out, fresh.chunk_id)
