"""Diffusion policies behind one interface: ``Policy.predict(Observation) -> Chunk``.

Chosen by name in :class:`PolicyConfig`: ``latent_diffusion`` (over the action VAE's latent,
decoded to 60 Hz) and ``action_diffusion`` (directly on actions at 60 Hz, or at 15 Hz with
optional linear/cubic upsampling). Real-time chunking is an optional :class:`RTCContext`.
"""

from .checkpoint import FORMAT, FORMAT_VERSION, PolicyCheckpointError
from .configuration import POLICY_NAMES, PolicyConfig, PolicyConfigError
from .contract import ActionStream, ContractError, ImageInput, ObservationContract, VectorInput
from .observation import Observation
from .policy import Policy, PolicyInputError
from .rtc import RTCContext, RTCError, prefix_weights

__all__ = [
    'FORMAT',
    'FORMAT_VERSION',
    'POLICY_NAMES',
    'ActionStream',
    'ContractError',
    'ImageInput',
    'Observation',
    'ObservationContract',
    'Policy',
    'PolicyCheckpointError',
    'PolicyConfig',
    'PolicyConfigError',
    'PolicyInputError',
    'RTCContext',
    'RTCError',
    'VectorInput',
    'prefix_weights',
]
