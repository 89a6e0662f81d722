"""Joint-like trajectories made as linear mixes of low-dimensional ones (e.g. LASA
handwriting), for testing and benchmarking the VAE on several dimensions that differ in
scale, offset and correlation.

``mix_trajectories(trajs, dim=7, per_trajectory=False)`` is "one robot": every trajectory
goes through the same mix, so the joints keep fixed correlations. ``per_trajectory=True``
is pooled data from several tasks or arms: every trajectory has its own mix and its own
joint offsets, and with a split by trajectory the validation mixes are ones the model
never saw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .trajectory import DataError, Trajectory


def mix_trajectories(trajectories: Sequence[Trajectory], dim: int = 7,
                     per_trajectory: bool = False, seed: int = 0, unit: float = 0.05,
                     scale: tuple[float, float] = (0.05, 0.5), offset: float = 1.5,
                     offset_jitter: float = 0.5) -> list[Trajectory]:
    """``q_j(t) = o_j + s_j * (M u(t))_j`` for each trajectory's positions ``u = p / unit``.

    - ``s_j``: per-dimension scales, geometric from ``scale[0]`` to ``scale[1]`` (rad per
      unit of ``u``), in a shuffled order so no dimension index means "small";
    - ``o_j``: per-dimension offsets, uniform in +-``offset`` rad;
    - ``M`` (dim x D): standard normal entries over sqrt(D), so each joint has unit gain on
      average; drawn once (``per_trajectory=False``) or for every trajectory, which then
      also shifts its offsets by ``offset_jitter * s_j`` times a standard normal.

    Names are ``j0..j{dim-1}``; ``source`` says which trajectory and mix. Deterministic in
    ``seed``.
    """
    if not trajectories:
        raise DataError('mix_trajectories: no trajectories to mix')
    if dim < 1:
        raise DataError(f'mix_trajectories: dim={dim}, expected a positive integer')
    d_in = trajectories[0].dim
    rng = np.random.default_rng(seed)
    s = rng.permutation(np.geomspace(scale[0], scale[1], dim))
    o = rng.uniform(-offset, offset, dim)
    mix = rng.standard_normal((dim, d_in)) / np.sqrt(d_in)
    names = tuple(f'j{i}' for i in range(dim))
    out = []
    for k, traj in enumerate(trajectories):
        if traj.dim != d_in:
            raise DataError(f'mix_trajectories: {traj.source} has {traj.dim} dimensions, the '
                            f'first trajectory {d_in}')
        o_k = o
        if per_trajectory:
            mix = rng.standard_normal((dim, d_in)) / np.sqrt(d_in)
            o_k = o + offset_jitter * s * rng.standard_normal(dim)
        q = o_k + s * ((traj.positions / unit) @ mix.T)
        tag = f'mix {k}' if per_trajectory else 'one mix'
        out.append(Trajectory(q, traj.dt, names, f'{traj.source} ({tag})'))
    return out
