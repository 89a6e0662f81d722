"""Speed tracking: does the commanded motion keep the reference's pace, tick by tick?

Seams and jerk do not see a plan that surges and lags between hand-overs: a command can be
smooth and still swing +-50% around the speed it should move at. Speeds are the norms of the
per-tick displacement over dt, of the command and of the reference (e.g. tool-tip positions
from forward kinematics, or joint positions); the RMS of their difference is in the
positions' units per second, and relative to the reference's mean speed.

Two comparisons, both reported. ``rms``: at the same tick (a command that keeps the
reference's speed profile but runs 0.1 s late is charged for the lag wherever the reference
speeds up or slows down). ``path_rms``: against the reference's speed where the reference
passed closest to the command, within ``window`` ticks of the same tick (the speed profile
along the path, free of a lag of up to ``window`` ticks; a command that stops still compares
with the reference's speed there).
"""

from __future__ import annotations

import numpy as np


def speed_tracking(positions: np.ndarray, reference: np.ndarray, dt: float, window: int = 30
                   ) -> dict[str, float]:
    """RMS of |v_command| - |v_reference| (units/s) at the same tick (``rms``) and at the
    reference's closest point within ``window`` ticks (``path_rms``), ``rms`` over the
    reference's mean speed, and the reference's mean speed; NaN when fewer than two ticks."""
    p = np.asarray(positions, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if p.shape != r.shape:
        raise ValueError(f'speed_tracking: positions {p.shape} and reference {r.shape} must '
                         f'have the same shape')
    if window < 0:
        raise ValueError(f'speed_tracking: window={window}: expected ticks >= 0')
    if p.shape[0] < 2:
        return {'rms': float('nan'), 'path_rms': float('nan'), 'relative': float('nan'),
                'reference_mean': float('nan')}
    v = np.linalg.norm(np.diff(p, axis=0), axis=1) / dt
    v_ref = np.linalg.norm(np.diff(r, axis=0), axis=1) / dt
    rms = float(np.sqrt(np.mean((v - v_ref) ** 2)))
    # the reference's speed at its point nearest each command step's midpoint
    mid, mid_ref = 0.5 * (p[1:] + p[:-1]), 0.5 * (r[1:] + r[:-1])
    n = v.size
    offsets = np.arange(-window, window + 1)
    j = np.clip(np.arange(n)[:, None] + offsets[None], 0, n - 1)
    nearest = j[np.arange(n), np.argmin(np.linalg.norm(mid_ref[j] - mid[:, None], axis=2),
                                        axis=1)]
    path_rms = float(np.sqrt(np.mean((v - v_ref[nearest]) ** 2)))
    mean_ref = float(v_ref.mean())
    return {'rms': rms, 'path_rms': path_rms,
            'relative': rms / mean_ref if mean_ref > 0 else float('nan'),
            'reference_mean': mean_ref}
