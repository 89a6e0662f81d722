"""Torch building blocks of the diffusion policies: observation encoders and the 1-D U-Net."""

from .image_encoder import ImageEncoder
from .observation_encoder import ObservationEncoder
from .unet1d import ConditionalUnet1D

__all__ = ['ConditionalUnet1D', 'ImageEncoder', 'ObservationEncoder']
