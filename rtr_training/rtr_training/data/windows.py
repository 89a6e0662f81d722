"""Training windows: every H-long slice of every trajectory at a stride, without copies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .trajectory import DataError, Trajectory


class WindowSet:
    """All windows of ``horizon`` steps (``stride`` apart) of some trajectories.

    Windows never cross from one trajectory into the next. ``data`` is the concatenation of
    the trajectories and ``index`` (N, H) the rows of each window, so a batch is
    ``data[index[batch]]`` in numpy or torch alike.
    """

    def __init__(self, trajectories: Sequence[Trajectory], horizon: int, stride: int = 1):
        if stride < 1:
            raise DataError(f'window stride must be >= 1, got {stride}')
        parts, starts, offset = [], [], 0
        self.skipped = [t.source for t in trajectories if t.length < horizon]
        for traj in trajectories:
            if traj.length < horizon:
                continue
            parts.append(traj.positions)
            starts.append(offset + np.arange(0, traj.length - horizon + 1, stride))
            offset += traj.length
        if not parts:
            raise DataError(f'no trajectory is at least {horizon} steps long (the VAE '
                            f'horizon); shortest: {min(t.length for t in trajectories)} steps')
        self.horizon = horizon
        self.data = np.vstack(parts)
        self.starts = np.concatenate(starts)
        self.index = self.starts[:, None] + np.arange(horizon)

    def __len__(self) -> int:
        return int(self.starts.size)

    def windows(self, which: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(B, H, D) windows in data units."""
        return self.data[self.index[which]]


def split_by_trajectory(trajectories: Sequence[Trajectory], val_fraction: float,
                        seed: int = 0) -> tuple[list[Trajectory], list[Trajectory]]:
    """Hold whole trajectories out for validation, so no validation window overlaps a
    training window. At least one trajectory lands on each side when there are two or more."""
    n = len(trajectories)
    if n < 2:
        raise DataError(f'need at least 2 trajectories to split into training and validation, '
                        f'got {n}')
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(n - 1, max(1, int(round(val_fraction * n))))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [trajectories[i] for i in train], [trajectories[i] for i in val]
