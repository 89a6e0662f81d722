"""Seams: what a chunk hand-over looks like in the executed motion (method.md section 6).

The seam gap at hand-over tick k is |p_k - p_{k-1}| (norm over joints), compared with the
median in-chunk step right around it (``window`` = 3 steps either side, seam steps
excluded), so a seam is judged against the motion it interrupts and not against slower or
faster parts of the run: 1.0 means the seam step cannot be told from its neighbours. The
reference step is floored at a quarter of the run's median in-chunk step, so that a tiny
step while the arm is nearly at rest does not make a huge ratio. The seam jerk is the
largest jerk whose stencil lies within +-3 ticks of the seam, divided by the median
in-chunk jerk.
"""

from __future__ import annotations

import numpy as np

from .smoothness import jerk

_FLOOR = 1e-12


def _summary(values: np.ndarray, prefix: str) -> dict[str, float]:
    if values.size == 0:
        return {f'{prefix}_mean': float('nan'), f'{prefix}_p95': float('nan'),
                f'{prefix}_max': float('nan')}
    return {f'{prefix}_mean': float(values.mean()),
            f'{prefix}_p95': float(np.percentile(values, 95)),
            f'{prefix}_max': float(values.max())}


def seam_ticks(spliced: np.ndarray) -> np.ndarray:
    """Indices of hand-overs: ticks where a new plan took over, the very first one excluded
    (starting is not a seam)."""
    idx = np.flatnonzero(np.asarray(spliced, dtype=bool))
    return idx[1:]


def seam_gaps(positions: np.ndarray, seams: np.ndarray, window: int = 3) -> dict[str, float]:
    """Gap ratio and absolute gap (units) over the seams at tick indices ``seams``."""
    p = np.asarray(positions, dtype=np.float64)
    steps = np.linalg.norm(np.diff(p, axis=0), axis=1)  # steps[i] = |p[i+1] - p[i]|
    seams = np.asarray([s for s in seams if 1 <= s < p.shape[0]], dtype=np.int64)
    in_chunk = np.ones(steps.size, dtype=bool)
    in_chunk[seams - 1] = False
    floor = 0.25 * np.median(steps[in_chunk]) if np.any(in_chunk) else 0.0
    gaps, ratios = [], []
    for s in seams:
        lo, hi = max(0, s - 1 - window), min(steps.size, s + window)
        local = steps[lo:hi][in_chunk[lo:hi]]
        ref = max(np.median(local) if local.size else 0.0, floor, _FLOOR)
        gaps.append(steps[s - 1])
        ratios.append(steps[s - 1] / ref)
    return {**_summary(np.asarray(ratios), 'gap_ratio'), **_summary(np.asarray(gaps), 'gap'),
            'seams': int(seams.size)}


def seam_jerk(positions: np.ndarray, seams: np.ndarray, dt: float, reach: int = 3
              ) -> dict[str, float]:
    """Seam jerk ratio (largest jerk near each seam / in-chunk jerk p50) and absolute."""
    norm = np.linalg.norm(jerk(positions, dt), axis=1)  # norm[i] spans ticks i .. i+3
    near = np.zeros(norm.size, dtype=bool)
    peaks = []
    for s in seams:
        # stencils centred (i + 1.5) within `reach` ticks of the seam step (s - 0.5)
        lo, hi = max(0, s - 2 - reach), min(norm.size, s + reach - 1)
        if hi > lo:
            near[lo:hi] = True
            peaks.append(norm[lo:hi].max())
    base = np.median(norm[~near]) if np.any(~near) else float('nan')
    peaks = np.asarray(peaks)
    return {**_summary(peaks / max(base, _FLOOR), 'jerk_ratio'),
            **_summary(peaks, 'jerk'), 'in_chunk_jerk_p50': float(base)}
