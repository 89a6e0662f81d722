"""A joint_trajectory_controller look-alike, evaluated at the physics rate.

Behaves as ros2_controllers' JTC configured the way the suite runs it (design/ros2.md):
``interpolate_from_desired_state: true`` and ``allow_nonzero_velocity_at_trajectory_end:
true``. A new trajectory REPLACES the running one; it is interpolated from the last desired
state (sampled when the trajectory arrives) to its first point, then point to point: a cubic
spline where both ends have positions and velocities, linear segments where positions only.
``stamp = 0`` starts the trajectory now; a past stamp jumps into it (a visible step), a
future one ramps. After the last point the controller holds its position.
"""

from __future__ import annotations

import numpy as np

from rtr_core.errors import RtrError
from rtr_core.trajectory import TrajectoryWindow


class TrajectoryRejected(RtrError):
    """A trajectory the real controller would reject too (the message says why)."""


def hermite(t0, p0, v0, t1, p1, v1, t):
    """Cubic Hermite position, velocity and acceleration at ``t`` in [t0, t1]."""
    h = t1 - t0
    s = (t - t0) / h
    s2, s3 = s * s, s * s * s
    pos = ((2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * h * v0
           + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * h * v1)
    vel = ((6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * h * v0
           + (-6 * s2 + 6 * s) * p1 + (3 * s2 - 2 * s) * h * v1) / h
    acc = ((12 * s - 6) * p0 + (6 * s - 4) * h * v0
           + (-12 * s + 6) * p1 + (6 * s - 2) * h * v1) / (h * h)
    return pos, vel, acc


class JointTrajectoryController:
    """Desired joint position, velocity and acceleration at any time from streamed windows."""

    def __init__(self, joint_names, initial_position):
        self.joint_names = tuple(joint_names)
        q = np.asarray(initial_position, dtype=np.float64).copy()
        if q.shape != (len(self.joint_names),):
            raise ValueError(f'initial_position: expected ({len(self.joint_names)},), '
                             f'got {q.shape}')
        self._hold = q
        self._times: np.ndarray | None = None
        self._positions: np.ndarray | None = None
        self._velocities: np.ndarray | None = None
        self._before = (q, np.zeros_like(q))
        self._t_before = 0.0
        self.accepted = 0
        self.rejected = 0

    def hold(self, position) -> None:
        """Drop any trajectory and hold ``position`` (as on activation)."""
        self._hold = np.asarray(position, dtype=np.float64).copy()
        self._times = None

    def set_trajectory(self, window: TrajectoryWindow, now: float, stamp: float = 0.0) -> None:
        """Replace the running trajectory with ``window`` received at time ``now``."""
        try:
            order = self._check(window, now, stamp)
        except TrajectoryRejected:
            self.rejected += 1
            raise
        pos, vel, _ = self.sample(now)
        start = now if stamp == 0.0 else stamp
        self._before = (pos, vel)
        self._t_before = now
        self._times = start + np.asarray(window.times_from_start, dtype=np.float64)
        self._positions = np.asarray(window.positions, dtype=np.float64)[:, order]
        self._velocities = (None if window.velocities is None
                            else np.asarray(window.velocities, dtype=np.float64)[:, order])
        self.accepted += 1

    def _check(self, window: TrajectoryWindow, now: float, stamp: float) -> np.ndarray:
        names = tuple(window.joint_names)
        if sorted(names) != sorted(self.joint_names):
            raise TrajectoryRejected(f'trajectory joints {list(names)} do not match the '
                                     f'controller joints {list(self.joint_names)}')
        times = np.asarray(window.times_from_start, dtype=np.float64)
        if times.size == 0:
            raise TrajectoryRejected('empty trajectory')
        if np.any(np.diff(times) <= 0) or times[0] < 0:
            raise TrajectoryRejected('time_from_start must be non-negative and increasing')
        start = now if stamp == 0.0 else stamp
        if start + times[-1] < now:
            raise TrajectoryRejected(f'trajectory ends in the past ({start + times[-1]:.4f} s '
                                     f'< now {now:.4f} s)')
        p = np.asarray(window.positions)
        if p.shape != (times.size, len(names)) or not np.all(np.isfinite(p)):
            raise TrajectoryRejected(f'positions: expected finite ({times.size}, {len(names)})')
        if window.velocities is not None and (np.shape(window.velocities) != p.shape
                                              or not np.all(np.isfinite(window.velocities))):
            raise TrajectoryRejected(f'velocities: expected finite {p.shape} or none')
        return np.array([names.index(n) for n in self.joint_names])

    @property
    def end_time(self) -> float | None:
        """When the running trajectory reaches its last point (None when holding)."""
        return None if self._times is None else float(self._times[-1])

    def sample(self, t: float):
        """(position, velocity, acceleration) the controller commands at time ``t``."""
        if self._times is None:
            zero = np.zeros_like(self._hold)
            return self._hold.copy(), zero, zero.copy()
        times, pos, vel = self._times, self._positions, self._velocities
        if t >= times[-1]:
            zero = np.zeros_like(pos[-1])
            return pos[-1].copy(), zero, zero.copy()
        if t < times[0]:
            t0, p0, v0 = self._t_before, self._before[0], self._before[1]
            t1, p1 = times[0], pos[0]
            v1 = None if vel is None else vel[0]
            t = max(t, t0)
        else:
            i = int(np.searchsorted(times, t, side='right')) - 1
            t0, p0, t1, p1 = times[i], pos[i], times[i + 1], pos[i + 1]
            v0 = None if vel is None else vel[i]
            v1 = None if vel is None else vel[i + 1]
        if t1 <= t0:
            zero = np.zeros_like(p1)
            return p1.copy(), zero, zero.copy()
        if v0 is None or v1 is None:
            s = (t - t0) / (t1 - t0)
            return p0 + s * (p1 - p0), (p1 - p0) / (t1 - t0), np.zeros_like(p0)
        return hermite(t0, p0, v0, t1, p1, v1, t)
