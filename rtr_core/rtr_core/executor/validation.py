"""Why a chunk is rejected: every check names the field, the value and what was expected."""

from __future__ import annotations

import math

import numpy as np

from ..chunk import Chunk

#: Rejection kinds, each with its own counter in the executor.
KINDS = ('non_finite', 'shape', 'joints', 'period', 'stale', 'future', 'out_of_order',
         'strategy', 'superseded')


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


def check_timing(chunk: Chunk, now: float, tolerance: float,
                 max_duration: float) -> tuple[str, str] | None:
    """(kind, reason) when a valid ``chunk`` arriving at ``now`` lies outside any sane window.

    A stamp or start ahead of the clock cannot come from a real observation (another clock, a
    corrupt message): accepting it would make every later chunk look out of order. A chunk
    spanning more than ``max_duration``, or ending that long before ``now``, would be mapped
    onto an unbounded number of ticks.
    """
    span = (chunk.horizon - 1) * chunk.dt
    if span > max_duration:
        return 'period', (f'{chunk.horizon} actions every {chunk.dt:.6g} s span {span:.6g} s, '
                          f'expected at most {max_duration:g} s (max_chunk_duration)')
    for field in ('stamp', 'start_time'):
        t = float(getattr(chunk, field))
        if t > now + tolerance:
            return 'future', (f'{field} {_s(t)} s is {t - now:.6g} s ahead of the executor '
                              f'clock ({_s(now)} s), tolerance {tolerance:g} s')
    if chunk.start_time + span < now - max_duration:
        return 'stale', (f'last action at t={_s(chunk.start_time + span)} s, more than '
                         f'{max_duration:g} s before now ({_s(now)} s)')
    return None


def _s(t: float) -> str:
    return f'{t:.6f}' if abs(t) < 1e12 else f'{t:.6g}'
