"""``rtr``: our own checkpoints (``rtr train policy``), run in this process."""

from __future__ import annotations

from ..chunk import Chunk
from ..policy.observation import Observation
from ..policy.policy import Policy
from ..policy.rtc import RTCContext
from .base import ChunkSource, check_actions


class RtrSource(ChunkSource):
    """A :class:`Policy`; its observation contract gives the inputs and the image size."""

    kind = 'rtr'
    supports_rtc = True

    def __init__(self, policy: Policy, seed: int | None = None):
        contract = policy.contract
        size = None if contract.image is None else (contract.image.height, contract.image.width)
        super().__init__(policy.joint_names, contract.inputs, size)
        self.policy = policy
        self.seed = seed  # None: fresh noise; else call k of an episode samples with seed + k
        self._calls = 0

    def reset(self) -> None:
        self._calls = 0

    @classmethod
    def load(cls, checkpoint: str, vae: str | None = None) -> RtrSource:
        return cls(Policy.load(checkpoint, vae=vae or None))

    @property
    def name(self) -> str:
        return self.policy.name

    @property
    def version(self) -> str:
        return self.policy.version

    def _predict(self, observation: Observation, rtc: RTCContext | None) -> Chunk:
        seed = None if self.seed is None else self.seed + self._calls
        self._calls += 1
        chunk = self.policy.predict(observation, rtc=rtc, seed=seed)
        check_actions(chunk.positions, len(self.joint_names), 'positions')
        return chunk
