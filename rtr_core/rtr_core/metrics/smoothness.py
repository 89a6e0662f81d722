"""Jerk: the third time derivative of position, in units/s^3."""

from __future__ import annotations

import numpy as np


def jerk(positions: np.ndarray, dt: float) -> np.ndarray:
    """Third finite difference along time divided by dt^3.

    ``positions`` is (T, D) (or (B, T, D): time is the second-last axis); the result has
    T - 3 rows. Norms are taken by the callers that need a scalar per tick.
    """
    x = np.asarray(positions, dtype=np.float64)
    return np.diff(x, n=3, axis=-2) / dt**3


def jerk_stats(positions: np.ndarray, dt: float) -> dict[str, float]:
    """Mean, p95 and max of the per-tick jerk norm over the D dims (units/s^3)."""
    norm = np.linalg.norm(jerk(positions, dt), axis=-1).reshape(-1)
    if norm.size == 0:
        return {'mean': float('nan'), 'p95': float('nan'), 'max': float('nan')}
    return {'mean': float(norm.mean()), 'p95': float(np.percentile(norm, 95)),
            'max': float(norm.max())}


def jerk_per_step_stats(positions: np.ndarray) -> dict[str, float]:
    """The seed's unnormalised form: the third difference per step (units/step^3), norm over
    the D dims; only comparable between runs at the same rate."""
    norm = np.linalg.norm(np.diff(np.asarray(positions, dtype=np.float64), n=3, axis=-2),
                          axis=-1).reshape(-1)
    if norm.size == 0:
        return {'mean': float('nan'), 'p95': float('nan'), 'max': float('nan')}
    return {'mean': float(norm.mean()), 'p95': float(np.percentile(norm, 95)),
            'max': float(norm.max())}
