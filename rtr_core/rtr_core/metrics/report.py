"""All execution metrics of one run in one call: what every evaluation reports."""

from __future__ import annotations

import numpy as np

from .deviation import deviation
from .seams import quiet_ticks, seam_gaps, seam_jerk, seam_ticks
from .smoothness import jerk_per_step_stats, jerk_stats
from .stall import stall_stats


def execution_metrics(positions: np.ndarray, dt: float, spliced: np.ndarray,
                      reference: np.ndarray | None = None, idle: np.ndarray | None = None,
                      speed_threshold: float = 0.01, quiet: np.ndarray | None = None,
                      blend: int = 0) -> dict[str, dict]:
    """Metrics of an executed command trajectory ``positions`` (T, J) sampled every ``dt``.

    ``spliced`` (T,) marks ticks where a new plan took over (hand-overs); ``reference``
    (T, J) is where the motion should be (deviation, stall); ``idle`` (T,) marks ticks
    with nothing to execute. ``quiet`` (T,) marks the in-chunk ticks the seam baselines are
    taken over: pass :func:`.seams.quiet_ticks` of every run compared on the same ticks
    (default: away from this run's own hand-overs and the ``blend`` ticks after each).
    Units are the joints' (rad or m), per second where timed.
    """
    p = np.asarray(positions, dtype=np.float64)
    seams = seam_ticks(spliced)
    if quiet is None:
        quiet = quiet_ticks(p.shape[0], [seams], blend=blend)
    out: dict[str, dict] = {
        'jerk': jerk_stats(p, dt),
        'jerk_per_step': jerk_per_step_stats(p),
        'seam': {**seam_gaps(p, seams, quiet), **seam_jerk(p, seams, dt, quiet)},
        'stall': stall_stats(p, dt, idle, reference, speed_threshold),
    }
    if reference is not None:
        out['deviation'] = deviation(p, reference)
    return out
