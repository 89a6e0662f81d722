"""The observation contract: which topics feed which policy input, and the action stream.

It is configuration (YAML, e.g. ``rtr_training/config/observation_contract.yaml``), not
code, so a real robot with other topic names or without a force sensor needs no change to
rtr. The contract a policy was trained with travels inside its checkpoint; the ROS node
subscribes from it and the dataset reads bags with it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..config import from_dict, load_yaml, to_dict
from ..errors import RtrError
from ..topics import Topics

_TOPICS = Topics()


class ContractError(RtrError, ValueError):
    """An observation contract that is inconsistent (names the field)."""


@dataclass(frozen=True)
class ImageInput:
    topic: str = _TOPICS.camera_image
    height: int = 96
    width: int = 96
    max_age_s: float = 0.1  # a frame older than this at a control tick is a gap


@dataclass(frozen=True)
class VectorInput:
    topic: str
    max_age_s: float = 0.05


@dataclass(frozen=True)
class ActionStream:
    """The commanded actions a policy learns to predict, at the control rate."""

    topic: str = _TOPICS.joint_trajectory
    joint_names: tuple[str, ...] = ()  # empty: the joint order of the recorded messages
    max_gap_s: float = 0.05


@dataclass(frozen=True)
class ObservationContract:
    control_rate_hz: float = 60.0
    action: ActionStream = ActionStream()
    image: ImageInput | None = ImageInput()
    joint_positions: VectorInput | None = VectorInput(_TOPICS.joint_states)
    wrench: VectorInput | None = VectorInput(_TOPICS.wrench)

    def __post_init__(self) -> None:
        if self.control_rate_hz <= 0:
            raise ContractError(f'observation contract control_rate_hz='
                                f'{self.control_rate_hz}: expected a positive rate')
        if self.image is None and self.joint_positions is None and self.wrench is None:
            raise ContractError('observation contract: enable at least one of image, '
                                'joint_positions, wrench')

    @property
    def control_dt(self) -> float:
        return 1.0 / self.control_rate_hz

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the enabled inputs."""
        return tuple(n for n in ('image', 'joint_positions', 'wrench')
                     if getattr(self, n) is not None)

    def with_joint_names(self, names) -> ObservationContract:
        return dataclasses.replace(self, action=dataclasses.replace(self.action,
                                                                    joint_names=tuple(names)))

    def to_dict(self) -> dict:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str = 'observation contract') -> ObservationContract:
        return from_dict(cls, data, source)

    @classmethod
    def load(cls, path: str | Path) -> ObservationContract:
        return load_yaml(cls, path)

    @property
    def hash(self) -> str:
        """Stable digest, e.g. to key a dataset cache."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
