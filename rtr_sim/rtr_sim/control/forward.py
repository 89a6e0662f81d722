"""forward_command_controller look-alike: the commanded positions, as they are, at once.

No interpolation and no smoothing: whatever jumps the caller sends, the servo sees.
"""

from __future__ import annotations

import numpy as np

from rtr_core.errors import RtrError


class ForwardPositionController:
    def __init__(self, joint_names, initial_position):
        self.joint_names = tuple(joint_names)
        self._position = np.asarray(initial_position, dtype=np.float64).copy()

    def set_positions(self, positions) -> None:
        q = np.asarray(positions, dtype=np.float64).reshape(-1)
        if q.shape != self._position.shape or not np.all(np.isfinite(q)):
            raise RtrError(f'forward positions: expected {self._position.size} finite '
                           f'values for {list(self.joint_names)}, got {q.tolist()}')
        self._position = q.copy()

    def hold(self, position) -> None:
        self.set_positions(position)

    def sample(self, t: float):
        zero = np.zeros_like(self._position)
        return self._position.copy(), zero, zero.copy()
