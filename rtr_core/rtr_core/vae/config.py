"""Configuration of the action VAE: every seed number (method.md section 2) is a field here."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import ConfigError, added_field, from_dict, to_dict

DECODERS = ('conv', 'mlp')


class VAEConfigError(ConfigError):
    """A VAE configuration that cannot build a model (names the field)."""


#: ``hidden_channels`` and ``latent_channels`` by architecture (``per_joint``): per joint
#: 1 latent channel per joint over a 32-channel network (12 x 7 for 7 joints; measured in
#: docs/benchmarks.md, "Every joint learned?"), mixed 8 channels over 64 (the seed's, and the
#: committed demo checkpoints').
SIZES = {True: {'hidden_channels': 32, 'latent_channels': 1},
         False: {'hidden_channels': 64, 'latent_channels': 8}}


@dataclass(frozen=True)
class VAEConfig:
    """Shape and architecture of an :class:`~rtr_core.vae.ActionVAE`.

    ``decoder='conv'`` (ours) upsamples the latent with linear interpolation and 1-D
    convolutions, which keeps reconstructions as smooth as the input; ``'mlp'`` is the seed's
    MLP over the flattened latent, kept for the comparison in ``benchmarks/bench_vae.py``.

    ``per_joint=True`` (the default) encodes and decodes every action dimension on its own
    with one shared temporal network, ``latent_channels`` per dimension: the latent is
    (L, action_dim * latent_channels) and the model cannot depend on how the joints move
    together, so data whose joint correlations differ from trajectory to trajectory (several
    tasks or arms pooled) is learned in every joint, and one robot's joints more precisely
    (docs/vae.md). ``False`` (all dimensions through one network into ``latent_channels``) is
    the architecture of the checkpoints written before the field existed, the committed demo's
    included: :meth:`to_dict` leaves it out, so their content hashes are unchanged, and data
    without the key loads as it.

    ``hidden_channels`` and ``latent_channels`` left at None take the architecture's own
    defaults, :data:`SIZES` (a mixed network needs more channels than one joint's).
    """

    horizon: int = 48
    action_dim: int = 7
    dt: float = 1.0 / 60.0
    downsample: int = 4
    hidden_channels: int | None = None
    latent_channels: int | None = None
    kernel_size: int = 5
    decoder: str = 'conv'
    mlp_hidden: int = 128
    per_joint: bool = added_field(True, legacy=False)

    def __post_init__(self) -> None:
        if not isinstance(self.per_joint, bool):
            raise VAEConfigError(f'VAE config field per_joint={self.per_joint!r}: expected true '
                                 'or false')
        for name, size in SIZES[self.per_joint].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, size)

        def need(ok: bool, field: str, expected: str) -> None:
            if not ok:
                raise VAEConfigError(f'VAE config field {field}={getattr(self, field)!r}: '
                                     f'expected {expected}')

        for name in ('horizon', 'action_dim', 'downsample', 'hidden_channels',
                     'latent_channels', 'kernel_size', 'mlp_hidden'):
            need(isinstance(getattr(self, name), int) and getattr(self, name) > 0, name,
                 'a positive integer')
        need(self.dt > 0, 'dt', 'a positive period in seconds')
        need(self.downsample & (self.downsample - 1) == 0, 'downsample',
             'a power of two (1, 2, 4, 8, 16)')
        need(self.horizon % self.downsample == 0, 'horizon',
             f'a multiple of downsample={self.downsample}')
        need(self.kernel_size % 2 == 1, 'kernel_size', 'an odd number')
        need(self.horizon // self.downsample > self.kernel_size // 2, 'downsample',
             f'at most horizon / {self.kernel_size // 2 + 1} (the latent needs more steps '
             f'than half the kernel)')
        need(self.decoder in DECODERS, 'decoder', f'one of {", ".join(DECODERS)}')

    @property
    def latent_steps(self) -> int:
        return self.horizon // self.downsample

    @property
    def latent_shape(self) -> tuple[int, int]:
        """(latent steps L, latent channels of one chunk: ``latent_channels``, times
        ``action_dim`` when ``per_joint``)."""
        per_step = self.latent_channels * (self.action_dim if self.per_joint else 1)
        return (self.latent_steps, per_step)

    def to_dict(self) -> dict:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = 'VAE config') -> VAEConfig:
        """Strict (unknown keys and wrong types raise): see :mod:`rtr_core.config`."""
        return from_dict(cls, data, where)
