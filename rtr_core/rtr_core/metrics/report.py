"""All execution metrics of one run in one call: what every evaluation reports."""

from __future__ import annotations

import numpy as np

from .deviation import deviation
from .seams import seam_gaps, seam_jerk, seam_ticks
from .smoothness import jerk_per_step_stats, jerk_stats
from .stall import stall_stats


def execution_metrics(positions: np.ndarray, dt: float, spliced: np.ndarray,
                      reference: np.ndarray | None = None, idle: np.ndarray | None = None,
                      speed_threshold: float = 0.01) -> dict[str, dict]:
    """Metrics of an executed command trajectory ``positions`` (T, J) sampled every ``dt``.

    ``spliced`` (T,) marks ticks where a new plan took over (hand-overs); ``reference``
    (T, J) is where the motion should be (deviation, stall); ``idle`` (T,) marks ticks
    with nothing to execute. Units are the joints' (rad or m), per second where timed.
    """
    p = np.asarray(positions, dtype=np.float64)
    seams = seam_ticks(spliced)
    out: dict[str, dict] = {
        'jerk': jerk_stats(p, dt),
        'jerk_per_step': jerk_per_step_stats(p),
        'seam': {**seam_gaps(p, seams), **seam_jerk(p, seams, dt)},
        'stall': stall_stats(p, dt, idle, reference, speed_threshold),
    }
    if reference is not None:
        out['deviation'] = deviation(p, reference)
    return out
