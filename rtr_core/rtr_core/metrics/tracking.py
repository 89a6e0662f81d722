"""Tracking error: how closely the measured joint state follows the command."""

from __future__ import annotations

import numpy as np


def tracking_error(measured: np.ndarray, commanded: np.ndarray) -> dict[str, float]:
    """Mean, p95 and max of |measured - commanded| (norm over joints), same times, (T, J)."""
    m = np.asarray(measured, dtype=np.float64)
    c = np.asarray(commanded, dtype=np.float64)
    if m.shape != c.shape:
        raise ValueError(f'tracking_error: measured {m.shape} and commanded {c.shape} differ')
    err = np.linalg.norm(m - c, axis=-1).reshape(-1)
    return {'mean': float(err.mean()), 'p95': float(np.percentile(err, 95)),
            'max': float(err.max())}
