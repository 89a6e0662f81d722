"""Plots of replayed executions: whole run per strategy side by side, and a seam close-up.

Position and velocity of one joint over time, the reference in grey, chunk hand-overs as
vertical lines. Any set of strategies; files are written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    return plt


def pick_joint(traces, stream) -> int:
    """The joint that moves most (in the reference if recorded): where seams show best."""
    if stream.reference is not None:
        return int(np.argmax(np.ptp(stream.reference, axis=0)))
    first = next(iter(traces.values()))
    return int(np.argmax(np.ptp(first.positions, axis=0)))


def _velocity(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.gradient(p, t) if p.size > 1 else np.zeros_like(p)


def plot_overview(traces: dict, stream, path: str | Path, joint: int | None = None) -> Path:
    plt = _pyplot()
    j = pick_joint(traces, stream) if joint is None else joint
    n = len(traces)
    fig, axes = plt.subplots(2, n, figsize=(3.6 * n, 5.5), sharex=True, sharey='row',
                             squeeze=False)
    for c, (name, tr) in enumerate(traces.items()):
        ax_p, ax_v = axes[0, c], axes[1, c]
        ref = stream.reference_at(tr.t)
        if ref is not None:
            ax_p.plot(tr.t, ref[:, j], color='0.6', lw=2, label='reference')
            ax_v.plot(tr.t, _velocity(tr.t, ref[:, j]), color='0.6', lw=2)
        ax_p.plot(tr.t, tr.positions[:, j], lw=1, label='executed')
        ax_v.plot(tr.t, tr.velocities[:, j], lw=1)
        for ts in tr.t[np.flatnonzero(tr.spliced)[1:]]:
            for ax in (ax_p, ax_v):
                ax.axvline(ts, color='tab:red', lw=0.5, alpha=0.35)
        ax_p.set_title(name)
        ax_v.set_xlabel('time (s)')
    axes[0, 0].set_ylabel(f'{stream.joint_names[j]} position')
    axes[1, 0].set_ylabel(f'{stream.joint_names[j]} velocity (/s)')
    axes[0, 0].legend(loc='best', fontsize=7)
    fig.suptitle('executed command; red lines: chunk hand-overs')
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_seam_zoom(traces: dict, stream, path: str | Path, joint: int | None = None,
                   half_window: int = 12) -> Path:
    """All strategies around one hand-over: where ``naive`` (else the first) jumps most."""
    plt = _pyplot()
    j = pick_joint(traces, stream) if joint is None else joint
    first = traces.get('naive') or next(iter(traces.values()))
    seams = np.flatnonzero(first.spliced)[1:]
    steps = np.abs(np.diff(first.positions[:, j]))
    seam = seams[np.argmax(steps[seams - 1])] if seams.size else first.t.size // 2
    period = float(np.median(np.diff(first.t))) if first.t.size > 1 else 1.0
    t0, t1 = first.t[seam] - half_window * period, first.t[seam] + half_window * period
    fig, (ax_p, ax_v) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    ref_t = np.arange(t0, t1 + period / 2, period / 4)
    ref = stream.reference_at(ref_t)
    if ref is not None:
        ax_p.plot(ref_t, ref[:, j], color='0.6', lw=2, label='reference')
        ax_v.plot(ref_t, _velocity(ref_t, ref[:, j]), color='0.6', lw=2)
    for name, tr in traces.items():
        m = (tr.t >= t0) & (tr.t <= t1)
        ax_p.plot(tr.t[m], tr.positions[m, j], marker='.', lw=1, label=name)
        ax_v.plot(tr.t[m], tr.velocities[m, j], marker='.', lw=1)
    for ax in (ax_p, ax_v):
        ax.axvline(first.t[seam], color='tab:red', lw=0.8, alpha=0.5)
    ax_p.set_ylabel(f'{stream.joint_names[j]} position')
    ax_v.set_ylabel('velocity (/s)')
    ax_v.set_xlabel('time (s)')
    ax_p.legend(loc='best', fontsize=7)
    ax_p.set_title(f'seam at t = {first.t[seam]:.3f} s (largest {first.strategy} jump)')
    fig.tight_layout()
    return _save(fig, path, plt)


def _save(fig, path: str | Path, plt) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip('.') or 'png')
    plt.close(fig)
    return path
