"""Loss-curve PNG written after every evaluation, so a long run can be watched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rtr_core.atomic import atomic_path


def plot_loss_curves(path: str | Path,
                     curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
                     title: str = '', ylabel: str = 'loss') -> None:
    """One line per ``name: (steps, values)`` on a log scale, written atomically as PNG."""
    import matplotlib

    matplotlib.use('Agg')
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.subplots()
    for name, (steps, values) in curves.items():
        if len(steps):
            ax.plot(steps, values, label=name)
    ax.set_yscale('log')
    ax.set_xlabel('step')
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format='png')
