"""The VAE network on normalised tensors: conv encoder with stride-2 downsampling, decoder.

Tensors are time-major at this boundary too: actions (B, H, D), latents (B, L, C), so the
executor can splice and optimise latents without thinking about conv layouts.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from .config import VAEConfig


def _extend(x: torch.Tensor, p: int) -> torch.Tensor:
    """Pad ``p`` steps at both ends of (B, C, T) by point reflection (2 x_0 - x_k): the
    signal continues with its edge slope. Zero or replicate padding bends every feature
    map flat at a chunk's ends, which showed as edge errors 10x the interior's."""
    left = 2 * x[..., :1] - x[..., 1:p + 1].flip(-1)
    right = 2 * x[..., -1:] - x[..., -p - 1:-1].flip(-1)
    return torch.cat([left, x, right], dim=-1)


class Conv(nn.Conv1d):
    """A 'same' 1-D convolution (or a halving one with stride 2) over point-reflected edges."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1):
        super().__init__(cin, cout, k, stride=stride)
        self.pad = k // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(_extend(x, self.pad) if self.pad else x)


class Upsample2(nn.Module):
    """Linear x2 upsampling that extrapolates at the edges instead of holding them flat."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.interpolate(_extend(x, 1), scale_factor=2, mode='linear',
                                      align_corners=False)
        return y[..., 2:-2]


def _widths(cfg: VAEConfig) -> list[int]:
    """Channels at each time resolution, full rate first: the width doubles as time halves
    (``hidden_channels`` at the latent rate, at least 16), so every level costs about the
    same and training stays fast on a CPU."""
    levels = int(math.log2(cfg.downsample))
    return [max(16, cfg.hidden_channels >> (levels - i)) for i in range(levels + 1)]


class ConvEncoder(nn.Module):
    """Conv at full rate, then log2(downsample) stride-2 convs, then 1x1 to mean/log-var."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        k, w = cfg.kernel_size, _widths(cfg)
        layers: list[nn.Module] = [Conv(cfg.action_dim, w[0], k), nn.SiLU()]
        for cin, cout in zip(w[:-1], w[1:], strict=True):
            layers += [Conv(cin, cout, k, stride=2), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv1d(w[-1], 2 * cfg.latent_channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.head(self.body(x.transpose(1, 2))).chunk(2, dim=1)
        return mean.transpose(1, 2), logvar.transpose(1, 2)


class ConvDecoder(nn.Module):
    """Latent steps -> H by repeated (linear x2 upsampling, conv): smooth by construction."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        k, w = cfg.kernel_size, _widths(cfg)[::-1]
        layers: list[nn.Module] = [Conv(cfg.latent_channels, w[0], 3), nn.SiLU(),
                                   Conv(w[0], w[0], k), nn.SiLU()]
        for cin, cout in zip(w[:-1], w[1:], strict=True):
            layers += [Upsample2(),
                       Conv(cin, cout, k), nn.SiLU()]
        layers.append(Conv(w[-1], cfg.action_dim, k))
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z.transpose(1, 2)).transpose(1, 2)


class MLPDecoder(nn.Module):
    """The seed's decoder: MLP over the flattened latent, reshaped to (H, D)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.out_shape = (cfg.horizon, cfg.action_dim)
        n = cfg.mlp_hidden
        self.body = nn.Sequential(
            nn.Linear(cfg.latent_steps * cfg.latent_channels, n), nn.ReLU(),
            nn.Linear(n, n), nn.ReLU(),
            nn.Linear(n, cfg.horizon * cfg.action_dim),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z.flatten(1)).reshape(z.shape[0], *self.out_shape)


class ActionVAENet(nn.Module):
    """Encoder + decoder on normalised (B, H, D) chunks and (B, L, C) latents.

    With ``config.per_joint`` the same one-dimensional encoder and decoder run on every
    action dimension (folded into the batch), and a latent step holds the dimensions'
    ``latent_channels`` one after another: (B, L, D * c), dimension-major.
    """

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.config = cfg
        inner = dataclasses.replace(cfg, action_dim=1, per_joint=False) if cfg.per_joint \
            else cfg
        self.encoder = ConvEncoder(inner)
        self.decoder = ConvDecoder(inner) if cfg.decoder == 'conv' else MLPDecoder(inner)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior (mean, log-variance), each (B, L, C)."""
        if not self.config.per_joint:
            return self.encoder(x)
        b, h, d = x.shape
        mean, logvar = self.encoder(x.transpose(1, 2).reshape(b * d, h, 1))
        return self._unfold(mean, b, d), self._unfold(logvar, b, d)

    @staticmethod
    def _unfold(t: torch.Tensor, b: int, d: int) -> torch.Tensor:
        """(B * D, L, c) -> (B, L, D * c)."""
        steps, c = t.shape[1:]
        return t.reshape(b, d, steps, c).transpose(1, 2).reshape(b, steps, d * c)

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean: the deterministic latent used at inference and in RTR."""
        return self.encode(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if not self.config.per_joint:
            return self.decoder(z)
        b, steps, _ = z.shape
        d, c = self.config.action_dim, self.config.latent_channels
        y = self.decoder(z.reshape(b, steps, d, c).transpose(1, 2).reshape(b * d, steps, c))
        return y.reshape(b, d, -1).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: (reconstruction from a sampled latent, mean, log-variance)."""
        mean, logvar = self.encode(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        return self.decode(z), mean, logvar
