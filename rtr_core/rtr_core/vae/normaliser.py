"""Per-dimension min-max normalisation to [-1, 1]; it travels inside the VAE checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import RtrError


@dataclass(frozen=True)
class MinMaxNormaliser:
    """Maps ``low`` to -1 and ``high`` to +1 per action dimension.

    A dimension that never moved in the data (``high == low``, e.g. an unused gripper) gets a
    unit half-range so that it is shifted, not blown up.
    """

    low: np.ndarray
    high: np.ndarray

    def __post_init__(self) -> None:
        low = np.asarray(self.low, dtype=np.float64).reshape(-1)
        high = np.asarray(self.high, dtype=np.float64).reshape(-1)
        if low.shape != high.shape or not (np.all(np.isfinite(low))
                                           and np.all(np.isfinite(high))):
            raise RtrError(f'normaliser: low and high must be finite vectors of equal length, '
                           f'got shapes {low.shape} and {high.shape}')
        if np.any(high < low):
            raise RtrError('normaliser: high < low in some dimension')
        object.__setattr__(self, 'low', low)
        object.__setattr__(self, 'high', high)

    @classmethod
    def fit(cls, data: np.ndarray) -> MinMaxNormaliser:
        """Statistics over every axis but the last (the action dimension)."""
        x = np.asarray(data, dtype=np.float64)
        x = x.reshape(-1, x.shape[-1])
        return cls(x.min(axis=0), x.max(axis=0))

    @property
    def dim(self) -> int:
        return int(self.low.size)

    @property
    def centre(self) -> np.ndarray:
        return (self.low + self.high) / 2

    @property
    def scale(self) -> np.ndarray:
        """Half-range per dimension (1 where the range is zero)."""
        half = (self.high - self.low) / 2
        return np.where(half > 1e-12, half, 1.0)

    def normalise(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.centre) / self.scale

    def denormalise(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) * self.scale + self.centre

    def torch_params(self, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(centre, scale) as tensors, for normalising inside a torch graph."""
        return (torch.as_tensor(self.centre, dtype=dtype),
                torch.as_tensor(self.scale, dtype=dtype))

    def to_dict(self) -> dict:
        return {'low': self.low.tolist(), 'high': self.high.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> MinMaxNormaliser:
        return cls(np.asarray(data['low']), np.asarray(data['high']))
