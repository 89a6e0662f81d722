"""Upsampling a low-rate chunk (e.g. 15 Hz) to the control rate, as one fixed matrix.

Both methods are linear in the samples, so the upsampled chunk is ``M @ samples`` with ``M``
computed once: cheap at inference and differentiable inside torch when needed.
"""

from __future__ import annotations

import numpy as np

from ..errors import RtrError

INTERPOLATIONS = ('none', 'linear', 'cubic')


def _hermite(samples: np.ndarray, factor: int) -> np.ndarray:
    """Catmull-Rom cubic through every sample (tangents by central differences, one-sided at
    the ends): continuous velocity, unlike linear segments."""
    n = samples.shape[0]
    tangents = np.gradient(samples, axis=0) if n > 1 else np.zeros_like(samples)
    s = np.arange(factor) / factor
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    p0, p1, m0, m1 = samples[:-1], samples[1:], tangents[:-1], tangents[1:]
    out = (h00[None, :, None] * p0[:, None] + h10[None, :, None] * m0[:, None]
           + h01[None, :, None] * p1[:, None] + h11[None, :, None] * m1[:, None])
    return np.concatenate([out.reshape(-1, samples.shape[1]), samples[-1:]], axis=0)


def _linear(samples: np.ndarray, factor: int) -> np.ndarray:
    s = (np.arange(factor) / factor)[None, :, None]
    out = samples[:-1, None] * (1 - s) + samples[1:, None] * s
    return np.concatenate([out.reshape(-1, samples.shape[1]), samples[-1:]], axis=0)


def upsampling_matrix(samples: int, factor: int, method: str) -> np.ndarray:
    """(factor * (samples - 1) + 1, samples) matrix taking samples every ``factor`` control
    periods to every control period, from the first sample to the last (no extrapolation)."""
    if method not in INTERPOLATIONS[1:]:
        raise RtrError(f'interpolation: expected one of linear, cubic, got {method!r}')
    if samples < 2 or factor < 1:
        raise RtrError(f'interpolation: need >= 2 samples and factor >= 1, got {samples}, '
                       f'{factor}')
    eye = np.eye(samples)
    return (_hermite if method == 'cubic' else _linear)(eye, factor)
