"""Speed tracking: does the commanded motion keep the reference's pace, tick by tick?

Seams and jerk do not see a plan that surges and lags between hand-overs: a command can be
smooth and still swing +-50% around the speed it should move at. Speeds are the norms of the
per-tick displacement over dt, of the command and of the reference (e.g. tool-tip positions
from forward kinematics, or joint positions); the RMS of their difference is in the
positions' units per second, and relative to the reference's mean speed.
"""

from __future__ import annotations

import numpy as np


def speed_tracking(positions: np.ndarray, reference: np.ndarray, dt: float
                   ) -> dict[str, float]:
    """RMS of |v_command| - |v_reference| (units/s), the same over the reference's mean speed,
    and the reference's mean speed; NaN when fewer than two ticks."""
    p = np.asarray(positions, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if p.shape != r.shape:
        raise ValueError(f'speed_tracking: positions {p.shape} and reference {r.shape} must '
                         f'have the same shape')
    if p.shape[0] < 2:
        return {'rms': float('nan'), 'relative': float('nan'), 'reference_mean': float('nan')}
    v = np.linalg.norm(np.diff(p, axis=0), axis=1) / dt
    v_ref = np.linalg.norm(np.diff(r, axis=0), axis=1) / dt
    rms = float(np.sqrt(np.mean((v - v_ref) ** 2)))
    mean_ref = float(v_ref.mean())
    return {'rms': rms, 'relative': rms / mean_ref if mean_ref > 0 else float('nan'),
            'reference_mean': mean_ref}
