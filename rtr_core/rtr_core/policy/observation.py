"""What a policy sees at one instant: the numpy observation the ROS node or simulator fills."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Observation:
    """One observation; ``stamp`` is the time the chunk is planned from (seconds).

    ``image`` is (H, W, 3) uint8 RGB, ``joint_positions`` (J,) in the action joints' order,
    ``wrench`` (6,) force then torque. Inputs the observation contract disables may be None.
    The per-input stamps are kept for latency analysis; matching them is the caller's job.
    """

    stamp: float
    joint_positions: np.ndarray | None = None
    image: np.ndarray | None = None
    wrench: np.ndarray | None = None
    joint_positions_stamp: float | None = None
    image_stamp: float | None = None
    wrench_stamp: float | None = None
