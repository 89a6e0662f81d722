"""Re-timing a new chunk: absorb the along-path part of the hand-over residual as a time shift.

A new chunk that disagrees with the executed trajectory *along* the path (it thinks the arm
is further on, or not as far, as it is) is, for the anchor, a position residual like any
other: spread over the blend, it makes the arm surge ahead or hold back, a speed swing of
the residual over the blend (a 10 mrad residual over 20 ticks: ~+-30% of the demo's motion).
Shifting the chunk in time instead, so that its path passes where the arm is at the splice,
leaves only the across-path residual to the anchor and keeps the chunk's own speed profile.

The shift ``tau`` (ticks, fractional) puts the chunk's point closest to the last executed
position within ``max_shift`` ticks of the splice at the tick before the splice; the chunk is
then resampled at ``k + tau`` (linear between its actions, extrapolated at its ends with its
end velocity). A chunk that barely moves there has no path to slide along and is unchanged.
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


def time_shift(plan: Plan, tick: int, position: np.ndarray, max_shift: float) -> float:
    """The shift tau (ticks, |tau| <= ``max_shift``) that puts the point of ``plan`` closest to
    ``position`` at ``tick``: plan(tick + tau) ~ position along the path. 0 when the plan
    does not move near ``tick`` (no direction to shift along)."""
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
    tau = tau[np.argmin(np.abs(tau))]
    return float(np.clip(tau, -max_shift, max_shift))


def retime(plan: Plan, tick: int, position: np.ndarray, max_shift: float) -> tuple[Plan, float]:
    """``plan`` shifted in time so that it passes ``position`` (the executed command at
    ``tick``) as closely as its path allows, and the shift (ticks; > 0: the arm was ahead of the
    plan, which now runs that much earlier). Same ticks, first tick and chunk id."""
    tau = time_shift(plan, tick, position, max_shift)
    if tau == 0.0:
        return plan, 0.0
    positions = _sample(plan.positions, np.arange(plan.positions.shape[0]) + tau)
    return Plan(plan.first_tick, positions, plan.chunk_id, plan.anchor, plan.takeover), tau
