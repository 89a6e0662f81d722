"""An action chunk at the numpy boundary: the ROS-free twin of ``rtr_msgs/msg/ActionChunk``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Chunk:
    """H future joint positions predicted from one observation.

    Action ``i`` is the target for time ``start_time + i * dt`` (seconds on the clock that
    stamped the observation). ``positions`` is (H, J), columns named by ``joint_names``.
    """

    stamp: float
    start_time: float
    dt: float
    joint_names: tuple[str, ...]
    positions: np.ndarray
    chunk_id: int = 0
    velocities: np.ndarray | None = None
    latent: np.ndarray | None = None
    policy_name: str = ''
    policy_version: str = ''
    inference_duration: float = 0.0
    frame_id: str = field(default='', compare=False)

    @property
    def horizon(self) -> int:
        return int(self.positions.shape[0])

    @property
    def times(self) -> np.ndarray:
        """Target time of every action, shape (H,)."""
        return self.start_time + self.dt * np.arange(self.horizon)
