"""The chunk timeline: chunks mapped by time onto control ticks, plans, executed history.

Tick ``k`` is the control instant ``k * period`` on whatever clock drives the executor
(simulated, wall or bag time), so every chunk, whatever its own period and start time, lands
on the same grid. Joints are matched by name; a plan's columns are in the executor's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .chunk import Chunk

_EPS = 1e-6  # in ticks: times within a microsecond-ish of a tick count as on it


def tick_of(time: float, period: float) -> int:
    """The tick nearest ``time``: a loop that wakes a little late still executes tick k."""
    return int(math.floor(time / period + 0.5))


@dataclass(frozen=True)
class Plan:
    """Planned positions for ticks ``first_tick .. first_tick + N - 1`` (rows, executor order).

    ``anchor`` asks the executor to apply the hand-over continuity correction when it splices
    this plan in (``rtr``); other strategies splice plans as they are. ``takeover`` is the
    tick at which the new chunk's motion starts when it differs from the splice tick (``sync``
    queues a chunk behind the one running).
    """

    first_tick: int
    positions: np.ndarray
    chunk_id: int = 0
    anchor: bool = False
    takeover: int | None = None

    @property
    def last_tick(self) -> int:
        return self.first_tick + self.positions.shape[0] - 1

    def covers(self, tick: int) -> bool:
        return self.first_tick <= tick <= self.last_tick

    def at(self, tick: int) -> np.ndarray:
        return self.positions[tick - self.first_tick]

    def left_after(self, tick: int) -> int:
        """Planned ticks strictly after ``tick``."""
        return max(0, min(self.positions.shape[0], self.last_tick - tick))

    def from_tick(self, tick: int) -> Plan | None:
        """The part at and after ``tick`` (None when nothing is left)."""
        if tick > self.last_tick:
            return None
        start = max(0, tick - self.first_tick)
        return Plan(self.first_tick + start, self.positions[start:], self.chunk_id, self.anchor,
                    self.takeover)

    def window(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """(ticks, rows) of this plan inside ``[first, last]`` (possibly empty)."""
        lo, hi = max(first, self.first_tick), min(last, self.last_tick)
        if hi < lo:
            return np.zeros(0, dtype=np.int64), self.positions[:0]
        return (np.arange(lo, hi + 1),
                self.positions[lo - self.first_tick:hi - self.first_tick + 1])


def chunk_to_plan(chunk: Chunk, order: np.ndarray, period: float) -> Plan:
    """Resample ``chunk`` onto the ticks its time span covers (linear between actions).

    ``order[j]`` is the chunk column of executor joint ``j``. A chunk on the executor's grid
    (same period, start on a tick) is copied exactly.
    """
    p = np.asarray(chunk.positions, dtype=np.float64)[:, order]
    h = p.shape[0]
    start = chunk.start_time / period
    end = (chunk.start_time + (h - 1) * chunk.dt) / period
    first, last = math.ceil(start - _EPS), math.floor(end + _EPS)
    if h == 1 or last < first:
        return Plan(tick_of(chunk.start_time, period), p[:1].copy(), chunk.chunk_id)
    ticks = np.arange(first, last + 1)
    f = np.clip((ticks * period - chunk.start_time) / chunk.dt, 0.0, h - 1)
    i0 = np.minimum(np.floor(f + _EPS).astype(np.int64), h - 1)
    w = np.clip(f - i0, 0.0, 1.0)[:, None]
    i1 = np.minimum(i0 + 1, h - 1)
    return Plan(first, (1.0 - w) * p[i0] + w * p[i1], chunk.chunk_id)


class History:
    """The last ``capacity`` executed commands (position per tick), contiguous in ticks."""

    def __init__(self, capacity: int, joints: int):
        self.capacity = capacity
        self._buf = np.zeros((2 * capacity, joints))
        self._n = 0  # rows in use, ending at _end
        self._end = 0
        self.last_tick: int | None = None

    def __len__(self) -> int:
        return self._n

    def append(self, tick: int, position: np.ndarray) -> None:
        """Record ``position`` for ``tick``; skipped ticks are filled by linear interpolation."""
        if self.last_tick is not None and tick > self.last_tick + 1:
            gap = tick - self.last_tick
            prev = self._buf[self._end - 1]
            steps = min(gap - 1, self.capacity)
            for i in range(gap - steps, gap):
                self._push(prev + (position - prev) * (i / gap))
        self._push(position)
        self.last_tick = tick

    def shift(self, ticks: int) -> None:
        """Renumber the recorded ticks by ``ticks`` (after a clock jump)."""
        if self.last_tick is not None:
            self.last_tick += ticks

    def _push(self, row: np.ndarray) -> None:
        if self._end == self._buf.shape[0]:  # slide the live part back to the front
            keep = self.capacity - 1
            self._buf[:keep] = self._buf[self._end - keep:self._end]
            self._end = keep
            self._n = min(self._n, keep)
        self._buf[self._end] = row
        self._end += 1
        self._n = min(self._n + 1, self.capacity)

    def last(self, n: int) -> tuple[int, np.ndarray]:
        """(first tick, rows) of the last ``min(n, len)`` executed ticks (a view; copy to keep)."""
        n = min(n, self._n)
        first = (self.last_tick or 0) - n + 1
        return first, self._buf[self._end - n:self._end]
