"""Why a chunk is rejected: every check names the field, the value and what was expected."""

from __future__ import annotations

import math

import numpy as np

from ..chunk import Chunk

#: Rejection kinds, each with its own counter in the executor.
KINDS = ('non_finite', 'shape', 'joints', 'period', 'stale', 'out_of_order', 'strategy')


def check_chunk(chunk: Chunk, joint_names: tuple[str, ...]) -> tuple[str, str] | None:
    """(kind, reason) when ``chunk`` cannot be executed by an executor of ``joint_names``."""
    names = tuple(chunk.joint_names)
    wanted = set(joint_names)
    if len(set(names)) != len(names):
        return 'joints', f'duplicate joint names {list(names)}'
    unknown = [n for n in names if n not in wanted]
    if unknown:
        return 'joints', f'unknown joints {unknown}; the executor drives {list(joint_names)}'
    missing = [n for n in joint_names if n not in names]
    if missing:
        return 'joints', f'missing joints {missing}'
    p = np.asarray(chunk.positions)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] != len(names):
        return 'shape', f'positions shape {p.shape}, expected (H >= 1, {len(names)})'
    if not np.issubdtype(p.dtype, np.number):
        return 'shape', f'positions of dtype {p.dtype}, expected numbers'
    if not np.all(np.isfinite(p)):
        return 'non_finite', 'positions contain NaN or Inf'
    for field in ('stamp', 'start_time', 'dt'):
        if not math.isfinite(float(getattr(chunk, field))):
            return 'non_finite', f'{field} is {getattr(chunk, field)}'
    if chunk.dt <= 0:
        return 'period', f'period {chunk.dt} s, expected > 0'
    return None
