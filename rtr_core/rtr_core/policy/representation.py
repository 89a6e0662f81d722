"""What the diffusion model generates, and how that becomes a chunk of joint positions.

Every representation turns training windows of control-rate actions (N, H, J) into
*native* targets (N, T, C), maps normalised native samples to normalised actions at the native
action times and back (for RTC guidance), and builds the output chunk.
"""

from __future__ import annotations

import numpy as np
import torch

from ..vae import ActionVAE, MinMaxNormaliser
from .interpolation import upsampling_matrix


def encode_windows(vae: ActionVAE, windows: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Posterior-mean latents of many windows, in batches that bound the memory used."""
    windows = np.asarray(windows)
    return np.concatenate([vae.encode(windows[i:i + batch])
                           for i in range(0, len(windows), batch)])


class ActionRepresentation:
    """Actions every ``factor`` control periods (1: 60 Hz, 4: 15 Hz), optionally upsampled
    to the control rate with a fixed linear or cubic interpolation matrix."""

    def __init__(self, horizon: int, factor: int, interpolation: str, control_dt: float,
                 action_normaliser: MinMaxNormaliser):
        self.factor = factor
        self.steps = horizon // factor
        self.channels = action_normaliser.dim
        self.native_normaliser = action_normaliser
        self.action_normaliser = action_normaliser
        self.native_dt = factor * control_dt
        self.interpolation = interpolation
        self._upsample = (upsampling_matrix(self.steps, factor, interpolation)
                          if interpolation != 'none' else None)
        self.output_dt = control_dt if self._upsample is not None else self.native_dt

    @property
    def native_shape(self) -> tuple[int, int]:
        return (self.steps, self.channels)

    @property
    def output_steps_per_native(self) -> int:
        """Output actions per native step (the factor when upsampled, else 1)."""
        return self.factor if self._upsample is not None else 1

    def targets(self, windows: np.ndarray) -> np.ndarray:
        """(N, H, J) control-rate windows (action i at tick k + 1 + i) -> (N, T, J)."""
        return np.asarray(windows)[:, ::self.factor]

    def native_to_actions(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised native sample -> normalised actions at the native times (identity)."""
        return x

    def actions_to_native(self, actions: torch.Tensor) -> torch.Tensor:
        return actions

    def output(self, native: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Physical native (T, J) -> (positions at ``output_dt``, latent or None)."""
        if self._upsample is None:
            return native, None
        return self._upsample @ native, None


class LatentRepresentation:
    """The action VAE's latent sequence; the output is the decoded control-rate chunk."""

    def __init__(self, vae: ActionVAE, latent_normaliser: MinMaxNormaliser,
                 action_normaliser: MinMaxNormaliser):
        self.vae = vae
        self.native_normaliser = latent_normaliser
        self.action_normaliser = action_normaliser
        self.factor = 1
        self.native_dt = vae.dt
        self.output_dt = vae.dt
        self.output_steps_per_native = 1
        self.channels = vae.latent_shape[1]
        self._latent_centre, self._latent_scale = latent_normaliser.torch_params()
        self._action_centre, self._action_scale = action_normaliser.torch_params()

    @property
    def native_shape(self) -> tuple[int, int]:
        return self.vae.latent_shape

    def targets(self, windows: np.ndarray) -> np.ndarray:
        """(N, H, J) windows -> (N, L, C) posterior-mean latents."""
        return encode_windows(self.vae, windows)

    def native_to_actions(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised latents -> decoded actions in the policy's normalised action space."""
        z = x * self._latent_scale + self._latent_centre
        actions = self.vae.denormalise(self.vae.net.decode(z))
        return (actions - self._action_centre) / self._action_scale

    def actions_to_native(self, actions: torch.Tensor) -> torch.Tensor:
        """Normalised actions (B, H, J) -> normalised posterior-mean latents."""
        physical = actions * self._action_scale + self._action_centre
        z = self.vae.net.encode_mean(self.vae.normalise(physical))
        return (z - self._latent_centre) / self._latent_scale

    def output(self, native: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return self.vae.decode(native), native
