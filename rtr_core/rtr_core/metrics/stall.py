"""Stalls: ticks where the robot stands still although the task is not finished."""

from __future__ import annotations

import numpy as np


def stall_stats(positions: np.ndarray, dt: float, idle: np.ndarray | None = None,
                reference: np.ndarray | None = None, speed_threshold: float = 0.01
                ) -> dict[str, float]:
    """Fraction of ticks stalled and the longest stall (s).

    A tick stalls when the executor had nothing to execute (``idle``, e.g. holding) or the
    commanded speed (norm, units/s) is under ``speed_threshold`` while the reference (if
    given, same times) moves faster than it. Pass only the ticks before the task finished.
    """
    p = np.asarray(positions, dtype=np.float64)
    speed = np.r_[np.inf, np.linalg.norm(np.diff(p, axis=0), axis=1) / dt]
    slow = speed < speed_threshold
    if reference is not None:
        g = np.asarray(reference, dtype=np.float64)
        ref_speed = np.r_[0.0, np.linalg.norm(np.diff(g, axis=0), axis=1) / dt]
        slow &= ref_speed >= speed_threshold
    stalled = slow if idle is None else slow | np.asarray(idle, dtype=bool)
    longest, run = 0, 0
    for s in stalled:
        run = run + 1 if s else 0
        longest = max(longest, run)
    return {'stall_fraction': float(stalled.mean()) if stalled.size else float('nan'),
            'longest_stall_s': longest * dt}
