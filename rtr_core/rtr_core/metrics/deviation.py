"""Deviation from a reference: how far the executed motion is from where it should be."""

from __future__ import annotations

import numpy as np


def deviation(executed: np.ndarray, reference: np.ndarray, scale: float = 1.0
              ) -> dict[str, object]:
    """Mean absolute difference per dimension and overall, and the largest one.

    Both arrays are (T, D) at the same times. ``scale`` converts units (e.g. 1000 for m ->
    mm, 180/pi for rad -> degrees).
    """
    x = np.asarray(executed, dtype=np.float64)
    g = np.asarray(reference, dtype=np.float64)
    if x.shape != g.shape or x.ndim != 2:
        raise ValueError(f'deviation: executed {x.shape} and reference {g.shape} must both '
                         f'be (T, D)')
    err = np.abs(x - g) * scale
    return {'mean': float(err.mean()), 'max': float(err.max()),
            'per_dim': err.mean(axis=0).tolist()}
