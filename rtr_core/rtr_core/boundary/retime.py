"""Re-timing a new chunk: absorb the along-path part of the hand-over residual as a time shift.

A new chunk that disagrees with the executed trajectory *along* the path (it thinks the arm
is not as far on as it is, or further) is, for the anchor, a position residual like any
other: spread over the blend, it makes the arm hold back or surge, a speed swing of the
residual over the blend (a 10 mrad residual over 20 ticks: ~+-30% of the demo's motion).
Shifting the chunk in time instead, so that its path passes where the arm is at the splice,
leaves only the across-path residual to the anchor and keeps the chunk's own speed profile.

The shift ``tau`` (ticks, fractional) puts the chunk's point closest to the last executed
position within ``max_shift`` ticks of the splice at the tick before the splice (none when
that point is at the edge of the search: the arm is not on that stretch of the path, and
sliding the chunk by the most allowed would skip its motion at every hand-over); the chunk is
then resampled at ``k + tau`` (linear between its actions, extrapolated at its ends with its
end velocity). A chunk that barely moves there has no path to slide along and is unchanged.

By default only a chunk that is *behind* the arm is shifted (advanced, tau > 0). Delaying a
chunk that is ahead of the arm (``behind``) removed more of the swing in the demo but let the
arm fall behind the expert's pace, hand-over after hand-over (0.5-0.9 s late at the end of
the task; docs/regimes.md): the anchor's catch-up is what keeps the policy's pace.
"""

from __future__ import annotations

import numpy as np

from ..timeline import Plan


def _sample(positions: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows at fractional ``index`` (linear; extrapolated with the end velocity outside)."""
    n = positions.shape[0]
    if n == 1:
        return np.repeat(positions, index.size, axis=0)
    i = np.clip(np.floor(index).astype(int), 0, n - 2)
    f = (index - i)[:, None]
    return positions[i] + f * (positions[i + 1] - positions[i])


def time_shift(plan: Plan, tick: int, position: np.ndarray, max_shift: float,
               behind: bool = False) -> float:
    """The shift tau (ticks, |tau| < ``max_shift``) that puts the point of ``plan`` closest to
    ``position`` at ``tick``: plan(tick + tau) ~ position along the path. 0 when the plan
    does not move near ``tick`` (no direction to shift along) or that point is at the edge of
    the search, and when it is behind the arm (tau < 0: the plan expects the arm further on)
    unless ``behind``."""
    p = plan.positions
    if max_shift <= 0 or p.shape[0] < 2:
        return 0.0
    lo = tick - max_shift - plan.first_tick
    hi = tick + max_shift - plan.first_tick
    j = np.arange(int(np.floor(lo)), int(np.ceil(hi)))  # segments j .. j+1 (plan rows)
    a = _sample(p, j.astype(float))
    d = _sample(p, j + 1.0) - a
    dd = np.einsum('ij,ij->i', d, d)
    step = np.sqrt(np.median(dd))
    if step < 1e-9:
        return 0.0
    s = np.clip(np.einsum('ij,ij->i', position[None] - a, d) / np.maximum(dd, 1e-18), 0, 1)
    dist = np.linalg.norm(a + s[:, None] * d - position[None], axis=1)
    best = np.flatnonzero(dist <= dist.min() + 1e-3 * step)  # ties: the smallest shift
    tau = (j[best] + s[best]) - (tick - plan.first_tick)
    tau = float(tau[np.argmin(np.abs(tau))])
    # the closest point at the edge of the search: the arm is off the chunk's path here (or
    # further along it than max_shift), there is no along-path residual to absorb
    if tau < 0 and not behind:
        return 0.0
    return tau if abs(tau) < max_shift - 1e-9 else 0.0


def retime(plan: Plan, tick: int, position: np.ndarray, max_shift: float,
           behind: bool = False) -> tuple[Plan, float]:
    """``plan`` shifted in time so that it passes ``position`` (the executed command at
    ``tick``) as closely as its path allows, and the shift (ticks; > 0: the arm was ahead of the
    plan, which now runs that much earlier; < 0 only with ``behind``). Same ticks, first tick
    and chunk id."""
    tau = time_shift(plan, tick, position, max_shift, behind)
    if tau == 0.0:
        return plan, 0.0
    positions = _sample(plan.positions, np.arange(plan.positions.shape[0]) + tau)
    return Plan(plan.first_tick, positions, plan.chunk_id, plan.anchor, plan.takeover), tau
