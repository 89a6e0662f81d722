"""Actions from a ``.npz`` file: one (T, D) array per trajectory plus the scalar ``dt``.

An optional ``names`` array (D strings) names the action dimensions.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .trajectory import DataError

RESERVED = ('dt', 'names')


def read_npz_actions(path: str | Path
                     ) -> tuple[float, dict[str, np.ndarray], tuple[str, ...] | None]:
    """(dt, {key: (T, D) array}, names or None)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: no such file')
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f'{path}: not a readable .npz file: {exc}') from exc
    if 'dt' not in data:
        raise DataError(f'{path}: key dt (the sample period in seconds) is missing; keys: '
                        f'{", ".join(sorted(data)) or "none"}')
    dt_arr = np.asarray(data.pop('dt'), dtype=np.float64)
    if dt_arr.size != 1 or not float(dt_arr.reshape(-1)[0]) > 0:
        raise DataError(f'{path}: key dt must be one positive number of seconds, got {dt_arr}')
    names = None
    if 'names' in data:
        names = tuple(str(n) for n in np.asarray(data.pop('names')).reshape(-1))
    if not data:
        raise DataError(f'{path}: no trajectory arrays beside {", ".join(RESERVED)}')
    trajectories = {}
    for key in sorted(data):
        a = data[key]
        if a.ndim != 2 or not np.issubdtype(a.dtype, np.number):
            raise DataError(f'{path}: key {key}: expected a numeric (T, D) array, got '
                            f'{a.dtype} {a.shape}')
        if not np.all(np.isfinite(a)):
            raise DataError(f'{path}: key {key}: contains NaN or inf')
        if names is not None and a.shape[1] != len(names):
            raise DataError(f'{path}: key {key} has {a.shape[1]} columns but names has '
                            f'{len(names)}')
        trajectories[key] = a.astype(np.float64)
    return float(dt_arr.reshape(-1)[0]), trajectories, names
