"""One recorded trajectory of actions at a fixed period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtr_core.errors import RtrError


class DataError(RtrError):
    """Training data that cannot be used (names the bag or file and the topic or key)."""


@dataclass(frozen=True)
class Trajectory:
    """``positions[k]`` is the action at time ``k * dt``; ``source`` names where it came from
    (``bag:topic`` or ``file.npz:key``) for error messages and reports."""

    positions: np.ndarray  # (T, D)
    dt: float
    names: tuple[str, ...]
    source: str

    @property
    def length(self) -> int:
        return int(self.positions.shape[0])

    @property
    def dim(self) -> int:
        return int(self.positions.shape[1])
