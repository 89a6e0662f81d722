"""FiLM-conditioned 1-D U-Net over a (B, T, C) sequence (latents or actions).

The layout of diffusion_policy's ``ConditionalUnet1D``: residual conv blocks whose features
are scaled and shifted (FiLM) by the diffusion-step embedding concatenated with the
observation features; stride-2 down/up-sampling between levels. The same network (same
widths) runs on 12 latent steps or on 48 action steps, which is what makes the latent policy
cheaper at equal width.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class SinusoidalEmbedding(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        half = dim // 2
        # a buffer, not rebuilt per call: at batch 1 that arange cost as much as a conv
        freq = torch.exp(-math.log(10000) * torch.arange(half) / (half - 1))
        self.register_buffer('freq', freq, persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angle = t.float()[:, None] * self.freq[None, :]
        return torch.cat([angle.sin(), angle.cos()], dim=-1)


class ConvBlock(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, groups: int):
        super().__init__(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(groups, cout),
                         nn.Mish())


class FiLMResBlock(nn.Module):
    """Two conv blocks; the first one's output is scaled and shifted by the condition."""

    def __init__(self, cin: int, cout: int, cond_dim: int, k: int, groups: int):
        super().__init__()
        self.conv1 = ConvBlock(cin, cout, k, groups)
        self.conv2 = ConvBlock(cout, cout, k, groups)
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * cout))
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond).unsqueeze(-1).chunk(2, dim=1)
        h = self.conv1(x) * scale + shift
        return self.conv2(h) + self.skip(x)


class ConditionalUnet1D(nn.Module):
    """Predicts the noise of a noisy (B, T, C) sequence given the step and (B, cond_dim).

    ``T`` must be divisible by ``2 ** (len(down_dims) - 1)``.
    """

    def __init__(self, channels: int, cond_dim: int, down_dims: tuple[int, ...] = (64, 128, 256),
                 step_embed_dim: int = 64, kernel_size: int = 5, groups: int = 8):
        super().__init__()
        self.downsampling = 2 ** (len(down_dims) - 1)
        self.step_encoder = nn.Sequential(
            SinusoidalEmbedding(step_embed_dim), nn.Linear(step_embed_dim, 4 * step_embed_dim),
            nn.Mish(), nn.Linear(4 * step_embed_dim, step_embed_dim))
        full_cond = step_embed_dim + cond_dim
        dims = (channels, *down_dims)
        pairs = list(zip(dims[:-1], dims[1:], strict=True))

        def res(cin: int, cout: int) -> FiLMResBlock:
            return FiLMResBlock(cin, cout, full_cond, kernel_size, groups)

        self.down = nn.ModuleList()
        for i, (cin, cout) in enumerate(pairs):
            last = i == len(pairs) - 1
            self.down.append(nn.ModuleList([
                res(cin, cout), res(cout, cout),
                nn.Identity() if last else nn.Conv1d(cout, cout, 3, stride=2, padding=1)]))
        self.mid = nn.ModuleList([res(down_dims[-1], down_dims[-1]),
                                  res(down_dims[-1], down_dims[-1])])
        self.up = nn.ModuleList()
        for cin, cout in reversed(pairs[1:]):
            self.up.append(nn.ModuleList([
                res(2 * cout, cin), res(cin, cin),
                nn.ConvTranspose1d(cin, cin, 4, stride=2, padding=1)]))
        self.final = nn.Sequential(ConvBlock(down_dims[0], down_dims[0], kernel_size, groups),
                                   nn.Conv1d(down_dims[0], channels, 1))

    def forward(self, x: torch.Tensor, timestep: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if timestep.dim() == 0:
            timestep = timestep.expand(x.shape[0])
        c = torch.cat([self.step_encoder(timestep), cond], dim=-1)
        h = x.transpose(1, 2)
        skips = []
        for block1, block2, downsample in self.down:
            h = block2(block1(h, c), c)
            skips.append(h)
            h = downsample(h)
        for block in self.mid:
            h = block(h, c)
        for block1, block2, upsample in self.up:
            h = torch.cat([h, skips.pop()], dim=1)
            h = upsample(block2(block1(h, c), c))
        return self.final(h).transpose(1, 2)
