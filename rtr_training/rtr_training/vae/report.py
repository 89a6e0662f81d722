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
    mean: a VAE that learnt anything is far below it."""

    names: tuple[str, ...]
    windows: int
    mae: tuple[float, ...]
    p95: tuple[float, ...]
    baseline_mae: tuple[float, ...]
    jerk_input: float  # mean per-tick jerk norm of the inputs, units/s^3
    jerk_recon: float

    @property
    def jerk_ratio(self) -> float:
        return self.jerk_recon / self.jerk_input if self.jerk_input > 0 else float('nan')

    def to_dict(self) -> dict:
        return {**asdict(self), 'names': list(self.names), 'jerk_ratio': self.jerk_ratio}

    def table(self) -> str:
        rows = [f'{"dim":>12s} {"MAE":>11s} {"p95":>11s} {"mean-baseline":>14s}']
        for i, name in enumerate(self.names):
            rows.append(f'{name:>12s} {self.mae[i]:11.4g} {self.p95[i]:11.4g} '
                        f'{self.baseline_mae[i]:14.4g}')
        rows.append(f'jerk (mean |d3x/dt3|): input {self.jerk_input:.4g}, reconstruction '
                    f'{self.jerk_recon:.4g}, ratio {self.jerk_ratio:.3f}  ({self.windows} '
                    f'validation windows)')
        return '\n'.join(rows)


def reconstruct_batched(vae: ActionVAE, windows: np.ndarray, batch: int = 4096) -> np.ndarray:
    return np.concatenate([vae.reconstruct(windows[i:i + batch])
                           for i in range(0, len(windows), batch)])


def reconstruction_report(vae: ActionVAE, windows: np.ndarray) -> ReconstructionReport:
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
    )
