"""Representation comparison (issue 3): how precise and how smooth is a chunk when it is
carried as (a) the VAE latent decoded at 60 Hz, (b) the raw 60 Hz actions, (c) a 15 Hz
subsample linearly interpolated back to 60 Hz, (d) the same cubic-interpolated.

All four are measured on the same windows of ``vae.horizon`` steps of the same held-out
trajectories. The VAE reconstructs each window on its own (as a policy's chunk is decoded);
the 15 Hz signals are interpolated over the whole trajectory (their best case: no chunk
edges), then cut into the same windows. Jerk is taken inside each window for every
representation, so seams between chunks (RTR's business) do not enter this comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from ..errors import RtrError
from ..metrics import jerk
from ..vae import ActionVAE

REPRESENTATIONS = ('vae', 'raw', 'linear', 'cubic')
LABELS = {
    'vae': 'VAE latent -> 60 Hz',
    'raw': 'raw 60 Hz',
    'linear': '15 Hz + linear',
    'cubic': '15 Hz + cubic',
}


@dataclass(frozen=True)
class RepresentationResult:
    """Errors are per-sample Euclidean norms over the action dims, in data units; jerk is the
    per-tick norm of the third difference / dt^3 (units/s^3) inside windows."""

    name: str
    error_mean: float
    error_median: float
    error_p95: float
    error_max: float
    jerk_mean: float
    jerk_p95: float
    jerk_ratio: float  # jerk_mean / the raw input's jerk_mean
    windows: int

    @property
    def label(self) -> str:
        return LABELS[self.name]


def _low_rate(x: np.ndarray, factor: int, method: str) -> np.ndarray:
    k = np.arange(0, x.shape[0], factor)
    grid = np.arange(x.shape[0])
    if method == 'linear':
        return np.column_stack([np.interp(grid, k, x[k, d]) for d in range(x.shape[1])])
    return CubicSpline(k, x[k], axis=0)(grid)


def representation_signals(vae: ActionVAE, trajectory: np.ndarray, factor: int = 4,
                           stride: int | None = None) -> dict[str, np.ndarray]:
    """Every representation of one (T, D) trajectory as (N, H, D) windows in data units.

    The trajectory is cut where the last low-rate sample lies, so interpolation never
    extrapolates. Windows start every ``stride`` steps (default: ``vae.horizon``, i.e.
    consecutive chunks).
    """
    x = np.asarray(trajectory, dtype=np.float64)
    h = vae.horizon
    if x.ndim != 2 or x.shape[1] != vae.action_dim:
        raise RtrError(f'representation comparison: trajectory of shape {x.shape}, expected '
                       f'(T, {vae.action_dim})')
    x = x[: (x.shape[0] - 1) // factor * factor + 1]
    if x.shape[0] < max(h, 4 * factor):
        raise RtrError(f'representation comparison: trajectory of {x.shape[0]} usable steps '
                       f'is shorter than the VAE horizon {h}')
    starts = np.arange(0, x.shape[0] - h + 1, stride or h)
    index = starts[:, None] + np.arange(h)
    raw = x[index]
    return {'vae': vae.reconstruct(raw), 'raw': raw,
            'linear': _low_rate(x, factor, 'linear')[index],
            'cubic': _low_rate(x, factor, 'cubic')[index]}


def compare_representations(vae: ActionVAE, trajectories: Sequence[np.ndarray],
                            factor: int = 4, stride: int | None = None
                            ) -> list[RepresentationResult]:
    """One result per representation (in :data:`REPRESENTATIONS` order) over all
    ``trajectories``, each (T, D) in data units at ``vae.dt``."""
    signals = [representation_signals(vae, t, factor, stride) for t in trajectories]
    if not signals:
        raise RtrError('representation comparison: no trajectories given')
    raw = np.concatenate([s['raw'] for s in signals])
    raw_jerk = np.linalg.norm(jerk(raw, vae.dt), axis=-1)
    out = []
    for name in REPRESENTATIONS:
        y = np.concatenate([s[name] for s in signals])
        err = np.linalg.norm(y - raw, axis=-1).reshape(-1)
        j = np.linalg.norm(jerk(y, vae.dt), axis=-1).reshape(-1)
        out.append(RepresentationResult(
            name=name, error_mean=float(err.mean()), error_median=float(np.median(err)),
            error_p95=float(np.percentile(err, 95)), error_max=float(err.max()),
            jerk_mean=float(j.mean()), jerk_p95=float(np.percentile(j, 95)),
            jerk_ratio=float(j.mean() / raw_jerk.mean()), windows=len(raw)))
    return out


def format_comparison(results: Sequence[RepresentationResult], scale: float = 1e3,
                      unit: str = 'mm', jerk_unit: str = 'm/s^3') -> str:
    """A plain-text table; ``scale``/``unit`` convert the error (default metres to mm)."""
    lines = [f'| representation | error mean ({unit}) | median | p95 | max | '
             f'jerk mean ({jerk_unit}) | jerk p95 | jerk / raw |',
             '|---|---|---|---|---|---|---|---|']
    for r in results:
        lines.append(f'| {r.label} | {r.error_mean * scale:.3f} | {r.error_median * scale:.3f}'
                     f' | {r.error_p95 * scale:.3f} | {r.error_max * scale:.3f} | '
                     f'{r.jerk_mean:.3g} | {r.jerk_p95:.3g} | {r.jerk_ratio:.2f} |')
    return '\n'.join(lines)
