"""Resampling of timestamped actions onto a uniform grid at the configured rate."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

METHODS = ('cubic', 'linear')


def resample(times: np.ndarray, positions: np.ndarray, dt: float,
             method: str = 'cubic') -> np.ndarray:
    """Positions (N, D) at increasing ``times`` (N,) -> (T, D) at ``times[0] + k * dt``.

    ``cubic`` (a C2 spline) is the default: upsampling a slower recording linearly would put
    a velocity kink at every original sample, which the VAE would learn as real motion.
    Grids already at the rate (times equal to the grid) come back unchanged with both methods.
    """
    t = np.asarray(times, dtype=np.float64)
    x = np.asarray(positions, dtype=np.float64)
    if method not in METHODS:
        raise ValueError(f'resample method {method!r}: expected one of {", ".join(METHODS)}')
    if t.ndim != 1 or x.ndim != 2 or x.shape[0] != t.size:
        raise ValueError(f'resample: times (N,) and positions (N, D) expected, got {t.shape} '
                         f'and {x.shape}')
    if t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError('resample: need at least 2 samples at strictly increasing times')
    n = int(np.floor((t[-1] - t[0]) / dt + 1e-6)) + 1
    grid = t[0] + dt * np.arange(n)
    if method == 'linear' or t.size < 4:
        return np.column_stack([np.interp(grid, t, x[:, k]) for k in range(x.shape[1])])
    return CubicSpline(t, x, axis=0)(grid)
