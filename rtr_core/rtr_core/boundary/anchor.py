"""Hand-over continuity: anchor a plan to the executed trajectory where it is spliced in.

At the splice tick k the plan P and the executed commands x differ by a residual in
position, velocity and acceleration (measured at ticks k-1, k-2, k-3). A quintic that starts
with exactly that residual and decays to zero, with zero slope and curvature, over
``blend`` ticks is added to the plan. The result continues x in position, velocity and
acceleration at the hand-over and equals P after the blend, so the seam has no step and
no jerk spike whatever the plan was.

:class:`AnchorStrategy` (``anchor``) is that correction alone on the fresh chunk, without any
VAE: what a roboticist would do to hide seams, and the ablation every VAE-based strategy is
measured against. ``BoundaryConfig.anchor`` applies the same correction to the plans of any
other strategy (e.g. ``rtr_paper`` + anchor).
"""

from __future__ import annotations

import functools

import numpy as np

from ..timeline import Plan
from .base import BoundaryContext, BoundaryStrategy


@functools.lru_cache(maxsize=8)
def _basis(blend: int) -> np.ndarray:
    """(3, blend) quintic Hermite basis at n = 1..blend for unit position, velocity, accel."""
    s = np.arange(1, blend + 1) / blend
    h0 = 1 - 10 * s**3 + 15 * s**4 - 6 * s**5
    h1 = (s - 6 * s**3 + 8 * s**4 - 3 * s**5) * blend
    h2 = (0.5 * s**2 - 1.5 * s**3 + 1.5 * s**4 - 0.5 * s**5) * blend**2
    return np.stack([h0, h1, h2])


def _plan_before(plan: Plan, tick: int, n: int) -> np.ndarray:
    """Plan values at ticks tick-n .. tick-1, extrapolated (quadratically) where missing."""
    out = np.empty((n, plan.positions.shape[1]))
    p = plan.positions
    for i, t in enumerate(range(tick - n, tick)):
        if plan.covers(t):
            out[i] = plan.at(t)
            continue
        back = t - plan.first_tick  # negative: steps before the first row
        if p.shape[0] >= 3:
            d1, d2 = p[1] - p[0], p[2] - 2 * p[1] + p[0]
            out[i] = p[0] + back * d1 + 0.5 * back * (back - 1) * d2
        elif p.shape[0] == 2:
            out[i] = p[0] + back * (p[1] - p[0])
        else:
            out[i] = p[0]
    return out


def anchor(plan: Plan, tick: int, executed: np.ndarray, blend: int) -> Plan:
    """The part of ``plan`` from ``tick`` on, corrected to continue ``executed``.

    ``executed`` holds the last (up to 3) executed commands, for ticks ``tick - len`` to
    ``tick - 1``. With none, the plan is returned unchanged.
    """
    rest = plan.from_tick(tick)
    n = min(3, executed.shape[0])
    if rest is None or n == 0 or blend < 1:
        return rest
    x = executed[-n:]
    p = _plan_before(plan, tick, n)
    e = np.zeros((3, x.shape[1]))
    e[0] = x[-1] - p[-1]
    if n >= 2:
        e[1] = (x[-1] - x[-2]) - (p[-1] - p[-2])
    if n >= 3:
        e[2] = (x[-1] - 2 * x[-2] + x[-3]) - (p[-1] - 2 * p[-2] + p[-3])
    m = min(blend, rest.positions.shape[0])
    out = rest.positions.copy()
    out[:m] += _basis(blend)[:, :m].T @ e
    return Plan(rest.first_tick, out, rest.chunk_id)


class AnchorStrategy(BoundaryStrategy):
    """``anchor``: drop the stale actions, switch to the new chunk and anchor it at the
    hand-over (no VAE)."""

    name = 'anchor'
    anchors = True

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        fresh = ctx.new_fresh
        return None if fresh is None else Plan(fresh.first_tick, fresh.positions,
                                               fresh.chunk_id, anchor=True)
