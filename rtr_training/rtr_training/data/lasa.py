"""LASA handwriting demos as training trajectories (the VAE's real-data benchmark and tests).

``HELD_OUT`` shapes are never trained on in the benchmark: they measure whether the VAE
learnt smooth handwriting motion in general rather than memorising 24 shapes.
"""

from __future__ import annotations

from collections.abc import Iterable

from rtr_core.datasets.lasa import DEMOS_PER_SHAPE, SHAPES, shape_path

from .trajectory import Trajectory

HELD_OUT = ('GShape', 'Leaf_2', 'Multi_Models_3', 'Sine', 'WShape', 'heee')
TRAINING = tuple(s for s in SHAPES if s not in HELD_OUT)


def lasa_trajectories(shapes: Iterable[str], size: float = 0.10, rate: float = 60.0,
                      demos: Iterable[int] = range(DEMOS_PER_SHAPE)) -> list[Trajectory]:
    """Every requested demo drawn ``size`` metres across at ``rate`` Hz, (T, 2) in metres."""
    out = []
    for shape in shapes:
        for d in demos:
            _, xy = shape_path(shape, d, size=size, rate=rate)
            out.append(Trajectory(xy, 1.0 / rate, ('x', 'y'), f'LASA {shape}/{d}'))
    return out
