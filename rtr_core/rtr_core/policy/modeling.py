"""The conditional diffusion model: observation encoder + FiLM 1-D U-Net + diffusers schedulers.

Torch only; :class:`~rtr_core.policy.policy.Policy` is the numpy boundary around it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from diffusers import DDIMScheduler, DDPMScheduler
from torch import nn

from .configuration import PolicyConfig
from .networks import ConditionalUnet1D, ObservationEncoder
from .rtc import guidance_weight


@dataclass(frozen=True)
class Guidance:
    """RTC guidance for one sampling run, in normalised action units.

    ``target`` (1, T_a, J) and ``weights`` (T_a,) (the soft prefix mask, zero where the
    previous chunk does not reach). ``to_actions`` maps a normalised native sample to the
    normalised actions at the times of ``target``; ``to_native`` maps actions back.
    """

    target: torch.Tensor
    weights: torch.Tensor
    to_actions: Callable[[torch.Tensor], torch.Tensor]
    to_native: Callable[[torch.Tensor], torch.Tensor]
    max_weight: float

    def native_target(self, x0: torch.Tensor) -> torch.Tensor:
        """Where the clean estimate should be: moved by the masked error between the previous
        chunk and the estimate's own actions, carried into native units.

        For actions this is exactly the paper's ``x0 + W (target - x0)``. For latents the
        difference of two encodings (of the masked mix and of the estimate's own decoding)
        carries the error: the encoder is a near-inverse of the decoder, so the step has unit
        gain (the decoder's Jacobian would scale a raw vector-Jacobian product by its large
        gain), and the VAE's own reconstruction error cancels out of the difference."""
        with torch.no_grad():
            actions = self.to_actions(x0)
            w = self.weights[None, :, None]
            mix = actions + w * (self.target - actions)
            return x0 + self.to_native(mix) - self.to_native(actions)


class DiffusionModel(nn.Module):
    def __init__(self, config: PolicyConfig, native_shape: tuple[int, int],
                 joint_dim: int | None, wrench_dim: int | None, use_image: bool):
        super().__init__()
        self.config = config
        self.native_shape = tuple(native_shape)
        self.encoder = ObservationEncoder(joint_dim, wrench_dim, use_image,
                                          tuple(config.image_channels), config.image_keypoints,
                                          config.vector_features)
        self.unet = ConditionalUnet1D(native_shape[1], self.encoder.out_dim,
                                      tuple(config.down_dims), config.step_embed_dim,
                                      config.kernel_size)
        if native_shape[0] % self.unet.downsampling:
            raise ValueError(f'sequence length {native_shape[0]} is not divisible by '
                             f'{self.unet.downsampling} (2 ** (len(down_dims) - 1))')
        kwargs = dict(num_train_timesteps=config.num_train_timesteps,
                      beta_schedule=config.beta_schedule, clip_sample=True,
                      prediction_type='epsilon')
        self.train_scheduler = DDPMScheduler(**kwargs)
        self.sampler = DDIMScheduler(**kwargs)
        self.sampler.set_timesteps(config.num_inference_steps)
        self._alphas = self.sampler.alphas_cumprod.clone()

    def forward(self, target: torch.Tensor, image, joints, wrench,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Training loss (``forward`` so that DistributedDataParallel syncs its gradients)."""
        return self.loss(target, image, joints, wrench, generator)

    def loss(self, target: torch.Tensor, image, joints, wrench,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Noise-prediction MSE for a batch of normalised native targets (B, T, C)."""
        cond = self.encoder(image, joints, wrench)
        noise = torch.randn(target.shape, generator=generator,
                            device=generator.device if generator else target.device)
        t = torch.randint(0, self.config.num_train_timesteps, (target.shape[0],),
                          generator=generator,
                          device=generator.device if generator else target.device)
        noisy = self.train_scheduler.add_noise(target, noise, t)
        return nn.functional.mse_loss(self.unet(noisy, t, cond), noise)

    def sample(self, cond: torch.Tensor, generator: torch.Generator | None = None,
               guidance: Guidance | None = None) -> torch.Tensor:
        """DDIM sampling of (B, T, C) normalised native sequences; with ``guidance``, each
        step corrects the clean estimate by the RTC vector-Jacobian product."""
        x = torch.randn((cond.shape[0], *self.native_shape), generator=generator)
        for t in self.sampler.timesteps:
            if guidance is None:
                with torch.inference_mode():
                    eps = self.unet(x, t, cond)
            else:
                eps = self._guided_eps(x, t, cond, guidance)
            # guided: the noise is re-derived from the clipped clean estimate, so that a large
            # correction at high noise cannot blow the sample up through the noise term
            x = self.sampler.step(eps, t, x,
                                  use_clipped_model_output=guidance is not None).prev_sample
        return x

    def _guided_eps(self, x, t, cond, guidance: Guidance) -> torch.Tensor:
        alpha_bar = float(self._alphas[int(t)])
        a, s = math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
        with torch.enable_grad():
            x_in = x.detach().requires_grad_(True)
            eps = self.unet(x_in, t, cond.detach())
            x0 = (x_in - s * eps) / a
            inside = x0.detach().clamp(-1.0, 1.0)  # where the scheduler will clip it
            error = guidance.native_target(inside) - inside
            vjp = torch.autograd.grad(x0, x_in, error)[0]
        # flow-matching RTC in DDIM terms: the clean estimate moves by s * w * VJP
        w = guidance_weight(alpha_bar, guidance.max_weight)
        x0_guided = x0.detach() + s * w * vjp
        return (x - a * x0_guided) / s
