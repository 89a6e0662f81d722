"""What the robot's sensors report at a control tick."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TickObservation:
    """Sensor readings stamped at a control tick (simulated time, seconds).

    ``image`` is set on camera ticks only (every ``control_rate / camera_rate`` ticks).
    ``wrench`` is (fx, fy, fz, tx, ty, tz) in the sensor frame ``ft_sensor``.
    """

    tick: int
    stamp: float
    position: np.ndarray  # (J,) rad
    velocity: np.ndarray  # (J,) rad/s
    wrench: np.ndarray  # (6,) N, N m
    image: np.ndarray | None = None  # (H, W, 3) uint8 RGB


@dataclass(frozen=True)
class CameraIntrinsics:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
