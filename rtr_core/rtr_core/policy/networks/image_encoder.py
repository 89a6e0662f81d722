"""A small CNN for the wrist camera, written here because torchvision has no CPU build for us."""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int, k: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2),
                         nn.GroupNorm(min(8, cout), cout), nn.Mish())


class SpatialSoftmax(nn.Module):
    """Expected image coordinates of K learned keypoint maps: keeps *where* things are, which
    global average pooling throws away (as in diffusion_policy's ResNet encoder)."""

    def __init__(self, channels: int, keypoints: int):
        super().__init__()
        self.to_maps = nn.Conv2d(channels, keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.to_maps(x)
        b, k, h, w = maps.shape
        attention = torch.softmax(maps.reshape(b, k, h * w), dim=-1)
        ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype)
        xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        ex = attention @ grid_x.reshape(-1, 1)
        ey = attention @ grid_y.reshape(-1, 1)
        return torch.cat([ex, ey], dim=-1).reshape(b, 2 * k)


class ImageEncoder(nn.Module):
    """(B, 3, H, W) images in [-1, 1] -> (B, 2 * keypoints) features.

    Four stride-2 conv blocks (96 px -> 6 px) keep it at a few MFLOPs per frame, so it costs
    far less than the denoising loop it conditions.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 64), keypoints: int = 32):
        super().__init__()
        layers, cin = [], 3
        for i, cout in enumerate(channels):
            layers.append(_block(cin, cout, 5 if i == 0 else 3, stride=2))
            cin = cout
        self.body = nn.Sequential(*layers)
        self.pool = SpatialSoftmax(cin, keypoints)
        self.out_dim = 2 * keypoints

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.pool(self.body(images))
