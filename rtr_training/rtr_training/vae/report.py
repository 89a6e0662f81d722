"""How well a VAE reconstructs held-out windows, in data units, and how smooth it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rtr_core.metrics import jerk
from rtr_core.vae import ActionVAE


@dataclass(frozen=True)
class ReconstructionReport:
    """Per-dimension mean absolute error (data units) and the jerk of reconstructions vs
    inputs, over the same windows. ``baseline_mae`` is the error of predicting each window's
    mean: a VAE that learnt a dimension is far below it.

    A dimension is *not learned* when its error is not below ``max_baseline_ratio`` times
    its baseline (and above ``floor``, the error too small to matter: 0.1 % of the
    dimension's half-range, so a joint that never moves is not flagged for a zero
    baseline). ``learned`` is False when any dimension is not learned.
    """

    names: tuple[str, ...]
    windows: int
    mae: tuple[float, ...]
    p95: tuple[float, ...]
    baseline_mae: tuple[float, ...]
    jerk_input: float  # mean per-tick jerk norm of the inputs, units/s^3
    jerk_recon: float
    floor: tuple[float, ...] = ()
    max_baseline_ratio: float = 0.2

    @property
    def jerk_ratio(self) -> float:
        return self.jerk_recon / self.jerk_input if self.jerk_input > 0 else float('nan')

    @property
    def baseline_ratio(self) -> tuple[float, ...]:
        """Error / window-mean baseline per dimension (inf where the baseline is 0)."""
        return tuple(m / b if b > 0 else (0.0 if m == 0 else float('inf'))
                     for m, b in zip(self.mae, self.baseline_mae, strict=True))

    @property
    def unlearned(self) -> tuple[str, ...]:
        """Names of the dimensions whose error is not well below the baseline."""
        floor = self.floor or (0.0,) * len(self.names)
        return tuple(n for n, m, b, f in zip(self.names, self.mae, self.baseline_mae, floor,
                                             strict=True)
                     if m > f and not m < self.max_baseline_ratio * b)

    @property
    def learned(self) -> bool:
        return not self.unlearned

    def verdict(self) -> str:
        """One line: every dimension learned, or which not and by how much."""
        if self.learned:
            return (f'every dimension learned: worst error {max(self.baseline_ratio):.3g}x '
                    f'its window-mean baseline (limit {self.max_baseline_ratio:g}x)')
        ratio = dict(zip(self.names, self.baseline_ratio, strict=True))
        worst = ', '.join(f'{n} {ratio[n]:.3g}x' for n in self.unlearned)
        return (f'NOT LEARNED: {len(self.unlearned)} of {len(self.names)} dimensions have a '
                f'validation error not below {self.max_baseline_ratio:g}x the error of '
                f'predicting each window by its mean: {worst}')

    def to_dict(self) -> dict:
        return {**asdict(self), 'names': list(self.names), 'jerk_ratio': self.jerk_ratio,
                'baseline_ratio': list(self.baseline_ratio), 'unlearned': list(self.unlearned),
                'learned': self.learned}

    def table(self) -> str:
        rows = [f'{"dim":>12s} {"MAE":>11s} {"p95":>11s} {"mean-baseline":>14s} '
                f'{"ratio":>8s}']
        bad = set(self.unlearned)
        for i, name in enumerate(self.names):
            rows.append(f'{name:>12s} {self.mae[i]:11.4g} {self.p95[i]:11.4g} '
                        f'{self.baseline_mae[i]:14.4g} {self.baseline_ratio[i]:8.3g}'
                        + ('  NOT LEARNED' if name in bad else ''))
        rows.append(f'jerk (mean |d3x/dt3|): input {self.jerk_input:.4g}, reconstruction '
                    f'{self.jerk_recon:.4g}, ratio {self.jerk_ratio:.3f}  ({self.windows} '
                    f'validation windows)')
        rows.append(self.verdict())
        return '\n'.join(rows)


def reconstruct_batched(vae: ActionVAE, windows: np.ndarray, batch: int = 4096) -> np.ndarray:
    return np.concatenate([vae.reconstruct(windows[i:i + batch])
                           for i in range(0, len(windows), batch)])


def reconstruction_report(vae: ActionVAE, windows: np.ndarray,
                          max_baseline_ratio: float = 0.2) -> ReconstructionReport:
    """Report over (N, H, D) windows in data units."""
    recon = reconstruct_batched(vae, windows)
    err = np.abs(recon - windows).reshape(-1, windows.shape[-1])
    base = np.abs(windows - windows.mean(axis=1, keepdims=True)).reshape(-1, windows.shape[-1])
    return ReconstructionReport(
        names=vae.action_names,
        windows=len(windows),
        mae=tuple(float(v) for v in err.mean(axis=0)),
        p95=tuple(float(v) for v in np.percentile(err, 95, axis=0)),
        baseline_mae=tuple(float(v) for v in base.mean(axis=0)),
        jerk_input=float(np.linalg.norm(jerk(windows, vae.dt), axis=-1).mean()),
        jerk_recon=float(np.linalg.norm(jerk(recon, vae.dt), axis=-1).mean()),
        floor=tuple(float(v) for v in 1e-3 * vae.normaliser.scale),
        max_baseline_ratio=max_baseline_ratio,
    )
