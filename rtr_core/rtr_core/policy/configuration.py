"""Configuration of the diffusion policies (LeRobot style: separate from the modelling code).

One dataclass covers the three policies of the study because they share the network and the
sampler; only the representation the diffusion runs in differs:

- ``latent_diffusion``: the VAE latent sequence (e.g. 12 x 8 for 48 actions at 60 Hz),
  decoded to a smooth 60 Hz chunk.
- ``action_diffusion`` with ``action_rate_hz = control rate``: the 60 Hz actions directly
  (the seed's "original 60 Hz" baseline).
- ``action_diffusion`` with a lower ``action_rate_hz`` (15): every 4th action, executed as a
  15 Hz chunk (stop-and-go) or upsampled with ``interpolation = linear | cubic``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RtrError
from .interpolation import INTERPOLATIONS
from .rtc import SCHEDULES

POLICY_NAMES = ('latent_diffusion', 'action_diffusion')


class PolicyConfigError(RtrError, ValueError):
    """A policy configuration that cannot build a policy (names the field)."""


@dataclass(frozen=True)
class PolicyConfig:
    name: str = 'latent_diffusion'
    horizon: int = 48  # control-rate actions covered by a chunk (latent: the VAE's horizon)
    action_rate_hz: float = 60.0  # action_diffusion: rate of the predicted actions
    interpolation: str = 'none'  # action_diffusion below the control rate: none/linear/cubic
    # network (the same for every policy, so that comparisons are at equal width)
    down_dims: tuple[int, ...] = (32, 64, 128)
    kernel_size: int = 5
    step_embed_dim: int = 64
    image_channels: tuple[int, ...] = (16, 32, 64, 64)
    image_keypoints: int = 32
    vector_features: int = 32
    # diffusion: DDPM for training, DDIM for sampling (diffusers schedulers)
    num_train_timesteps: int = 100
    beta_schedule: str = 'squaredcos_cap_v2'
    num_inference_steps: int = 10
    # real-time chunking defaults (LeRobot's: exp schedule, beta 10, execution horizon 10)
    rtc_schedule: str = 'exp'
    rtc_max_guidance_weight: float = 10.0
    rtc_execution_horizon: int = 10

    def __post_init__(self) -> None:
        def need(ok: bool, field: str, expected: str) -> None:
            if not ok:
                raise PolicyConfigError(f'policy config field {field}='
                                        f'{getattr(self, field)!r}: expected {expected}')

        need(self.name in POLICY_NAMES, 'name', f'one of {", ".join(POLICY_NAMES)}')
        need(self.horizon > 1, 'horizon', 'at least 2 actions')
        need(self.action_rate_hz > 0, 'action_rate_hz', 'a positive rate')
        need(self.interpolation in INTERPOLATIONS, 'interpolation',
             f'one of {", ".join(INTERPOLATIONS)}')
        need(len(self.down_dims) >= 1 and all(d % 8 == 0 for d in self.down_dims), 'down_dims',
             'one or more widths, each a multiple of 8 (GroupNorm groups)')
        need(self.kernel_size % 2 == 1, 'kernel_size', 'an odd number')
        need(0 < self.num_inference_steps <= self.num_train_timesteps, 'num_inference_steps',
             f'1..num_train_timesteps ({self.num_train_timesteps})')
        need(self.rtc_schedule in SCHEDULES, 'rtc_schedule', f'one of {", ".join(SCHEDULES)}')
        need(self.rtc_max_guidance_weight >= 0, 'rtc_max_guidance_weight', 'a weight >= 0')

    def rate_factor(self, control_rate_hz: float) -> int:
        """Control periods per predicted action (1 at 60 Hz, 4 at 15 Hz)."""
        if self.name == 'latent_diffusion':
            return 1
        factor = control_rate_hz / self.action_rate_hz
        if abs(factor - round(factor)) > 1e-6 or round(factor) < 1:
            raise PolicyConfigError(f'policy config action_rate_hz={self.action_rate_hz}: '
                                    f'expected the control rate {control_rate_hz} Hz divided by '
                                    f'a whole number')
        factor = int(round(factor))
        if self.horizon % factor:
            raise PolicyConfigError(f'policy config horizon={self.horizon}: expected a multiple '
                                    f'of {factor} (control periods per action)')
        if factor == 1 and self.interpolation != 'none':
            raise PolicyConfigError('policy config interpolation: only for action_rate_hz '
                                    'below the control rate')
        return factor
