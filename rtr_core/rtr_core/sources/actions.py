"""What a remote policy's action rows mean, turned into absolute joint positions.

- ``absolute``: each row holds joint positions;
- ``delta``: each row is an offset from the observed joint positions (openpi's
  ``DeltaActions``: every row relative to the same observed state, not accumulated);
- ``velocity``: each row holds joint velocities (rad/s), integrated from the observed state
  over the action period (DROID's pi0 / pi0.5 joint-velocity action space);
- ``latent``: the reply is an action-VAE latent, decoded by :mod:`.latent`.

A gripper column (``gripper_index``) is not an arm joint: it is taken out of the arm's
actions and, when ``gripper_joint`` names one of the chunk's joints, becomes that joint's
absolute target; otherwise it is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config import ConfigError
from .base import ReplyRejected, check_actions

MODES = ('absolute', 'delta', 'velocity', 'latent')


@dataclass(frozen=True)
class ActionMapping:
    mode: Literal['absolute', 'delta', 'velocity', 'latent'] = 'absolute'
    gripper_index: int = -1  # column of the gripper in each action row; -1: none
    gripper_joint: str = ''  # chunk joint the gripper column drives ('' = drop it)
    max_actions: int = 0  # use at most this many rows of each reply (0: all)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f'action mapping mode={self.mode!r}: expected one of '
                              f'{", ".join(MODES)}')
        if self.max_actions < 0:
            raise ConfigError(f'action mapping max_actions={self.max_actions}: expected >= 0')

    def arm_joints(self, joint_names: tuple[str, ...]) -> tuple[str, ...]:
        """The joints the arm columns drive (every joint but the gripper one)."""
        return tuple(n for n in joint_names if n != self.gripper_joint)

    def positions(self, actions, joint_names: tuple[str, ...], observed: np.ndarray | None,
                  dt: float) -> np.ndarray:
        """(H, J) absolute positions in ``joint_names`` order from the reply's rows.

        ``observed`` (J,) are the observed joint positions in the same order (needed for
        ``delta`` and ``velocity``)."""
        arm = self.arm_joints(joint_names)
        gripper = self.gripper_index >= 0
        a = check_actions(actions, len(arm) + int(gripper), 'actions')
        if self.max_actions:
            a = a[:self.max_actions]
        g = None
        if gripper:
            if self.gripper_index >= a.shape[1]:
                raise ReplyRejected('shape', f'gripper_index {self.gripper_index} outside '
                                    f'{a.shape[1]} action columns')
            g = a[:, self.gripper_index]
            a = np.delete(a, self.gripper_index, axis=1)
        if self.mode in ('delta', 'velocity'):
            if observed is None:
                raise ReplyRejected('missing_key', f'{self.mode} actions need the observed '
                                    f'joint positions')
            idx = [joint_names.index(n) for n in arm]
            q0 = np.asarray(observed, dtype=np.float64)[idx]
            a = q0 + (a if self.mode == 'delta' else np.cumsum(a, axis=0) * dt)
        out = np.empty((a.shape[0], len(joint_names)))
        out[:, [joint_names.index(n) for n in arm]] = a
        if self.gripper_joint:
            if g is None:
                raise ReplyRejected('shape', f'gripper_joint {self.gripper_joint} set but '
                                    f'no gripper_index')
            out[:, joint_names.index(self.gripper_joint)] = g
        return out
