"""``naive``: drop the stale actions and switch to the new chunk at once (the seam jump)."""

from __future__ import annotations

from ..timeline import Plan
from .base import BoundaryContext, BoundaryStrategy


class NaiveStrategy(BoundaryStrategy):
    name = 'naive'

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        return ctx.new_fresh
