"""Camera + proprioception + wrench -> one conditioning vector for the denoiser."""

from __future__ import annotations

import torch
from torch import nn

from .image_encoder import ImageEncoder


def _mlp(din: int, dout: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(din, dout), nn.Mish(), nn.Linear(dout, dout))


class ObservationEncoder(nn.Module):
    """Encodes whichever inputs the observation contract enables (image, joints, wrench).

    Inputs are normalised tensors: images (B, 3, H, W) in [-1, 1], joint positions (B, J) and
    wrench (B, 6) min-max normalised. A disabled input is simply not built.
    """

    def __init__(self, joint_dim: int | None, wrench_dim: int | None, use_image: bool,
                 image_channels: tuple[int, ...], image_keypoints: int, vector_features: int):
        super().__init__()
        self.image = ImageEncoder(image_channels, image_keypoints) if use_image else None
        self.joints = _mlp(joint_dim, vector_features) if joint_dim else None
        self.wrench = _mlp(wrench_dim, vector_features) if wrench_dim else None
        self.out_dim = ((self.image.out_dim if self.image is not None else 0)
                        + (vector_features if self.joints is not None else 0)
                        + (vector_features if self.wrench is not None else 0))
        if self.out_dim == 0:
            raise ValueError('observation encoder: at least one input must be enabled')

    def forward(self, image: torch.Tensor | None, joints: torch.Tensor | None,
                wrench: torch.Tensor | None) -> torch.Tensor:
        parts = []
        if self.image is not None:
            parts.append(self.image(image))
        if self.joints is not None:
            parts.append(self.joints(joints))
        if self.wrench is not None:
            parts.append(self.wrench(wrench))
        return torch.cat(parts, dim=-1)
