"""A trajectory window: what a 60 Hz streamer sends to joint_trajectory_controller.

Following ros2.md, every control tick the streamer publishes the next 0.2-0.5 s of points
with positions AND velocities, ``header.stamp = 0`` ("start now") and ``time_from_start``
relative to the publish time; the controller replaces its running trajectory with it and
interpolates with cubic splines from its last desired state. As a message:
:func:`rtr_core.msgs.window_to_msg`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrajectoryWindow:
    joint_names: tuple[str, ...]
    times_from_start: np.ndarray  # (N,) seconds after the publish time, strictly increasing
    positions: np.ndarray  # (N, J)
    velocities: np.ndarray | None = None  # (N, J) or None (then the controller goes linear)

    @classmethod
    def from_samples(cls, joint_names, positions, dt, first_offset=None, velocity_before=None):
        """Window through ``positions`` (N, J) sampled every ``dt``, the first one at
        ``first_offset`` (default ``dt``) after now.

        Velocities are central differences inside the window, one-sided at its ends (or
        from ``velocity_before``, the velocity at the sample just before the window).
        """
        p = np.asarray(positions, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != len(joint_names) or p.shape[0] < 1:
            raise ValueError(f'window positions: expected (N>=1, {len(joint_names)}), '
                             f'got {p.shape}')
        v = np.gradient(p, dt, axis=0) if p.shape[0] > 1 else np.zeros_like(p)
        if velocity_before is not None and p.shape[0] > 1:
            v[0] = 0.5 * (np.asarray(velocity_before) + (p[1] - p[0]) / dt)
        offset = dt if first_offset is None else first_offset
        times = offset + dt * np.arange(p.shape[0])
        return cls(tuple(joint_names), times, p, v)
