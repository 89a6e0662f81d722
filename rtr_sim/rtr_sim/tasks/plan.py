"""Tool tip plans for the scripted experts: approach, press, trace a path, lift."""

from __future__ import annotations

import numpy as np


def min_jerk(p0, p1, duration: float, rate: float) -> np.ndarray:
    """Samples (N, D) from ``p0`` to ``p1`` (excluded, included) with zero end velocities."""
    n = max(1, int(round(duration * rate)))
    s = np.arange(1, n + 1) / n
    shape = 10 * s**3 - 15 * s**4 + 6 * s**5
    return np.asarray(p0)[None] + shape[:, None] * (np.asarray(p1) - np.asarray(p0))[None]


def eased_resample(times, points, rate: float, ramp: float = 0.3) -> np.ndarray:
    """``points`` sampled at ``times`` re-timed at ``rate`` so that it starts and ends at rest.

    The path's own clock runs at speed 0 -> 1 over ``ramp`` seconds at both ends (a smooth
    step), so a demonstration that starts moving is entered without a velocity jump.
    """
    times = np.asarray(times, dtype=np.float64)
    total = float(times[-1] - times[0])
    ramp = min(ramp, total / 2)
    # path time advanced per output tick: w(u) in [0, 1]; integral of the two ramps = ramp
    n = int(np.ceil((total + ramp) * rate)) + 1
    u = np.arange(n) / rate
    end = total + ramp

    def smooth(x):
        x = np.clip(x, 0.0, 1.0)
        return x * x * (3 - 2 * x)

    w = np.minimum(smooth(u / (2 * ramp)), smooth((end - u) / (2 * ramp)))
    s = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) / rate)])
    s = times[0] + s * (total / s[-1])
    return np.column_stack([np.interp(s, times, points[:, k]) for k in range(points.shape[1])])


def contact_plan(start_tip, path: np.ndarray, press_depth: float, rate: float,
                 hover: float = 0.03, move_time: float = 1.2, descend_time: float = 0.6,
                 lift_time: float = 0.5, settle_time: float = 0.3):
    """(times, tip targets (M, 3), contact window) for tracing ``path`` (N, 3) on a surface.

    Pressing means commanding the tip ``press_depth`` below the surface: the tool's spring
    then pushes with ``stiffness * press_depth``.
    """
    down = np.array([0.0, 0.0, press_depth])
    above = path[0] + np.array([0.0, 0.0, hover])
    start = np.asarray(start_tip, dtype=np.float64)
    parts = [start[None], min_jerk(start, above, move_time, rate),
             min_jerk(above, path[0] - down, descend_time, rate)]
    contact_start = sum(len(p) for p in parts) - 1
    parts.append(path[1:] - down)
    contact_end = sum(len(p) for p in parts) - 1
    lifted = path[-1] + np.array([0.0, 0.0, hover + 0.02])
    parts.append(min_jerk(path[-1] - down, lifted, lift_time, rate))
    parts.append(np.repeat(lifted[None], max(1, int(round(settle_time * rate))), axis=0))
    tips = np.vstack(parts)
    times = np.arange(len(tips)) / rate
    return times, tips, (contact_start / rate, contact_end / rate)
