"""A periodic loop on its own thread with absolute deadlines, and its lateness statistics.

ros2.md: for a 60 Hz loop prefer a dedicated thread with ``next += period; sleep until next``
over a timer in an executor; compute setpoints from measured time, not from the tick count.
Used by the ROS executor node, the simulator's real-time mode and ``rtr demo --real-time``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LatenessStats:
    ticks: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    overruns: int  # ticks that started a whole period or more after their deadline
    errors: int = 0  # steps that raised
    failing: int = 0  # consecutive steps that raised (0: the last one worked)
    last_error: str = ''


class PeriodicLoop:
    """Call ``step()`` every ``period`` seconds on a dedicated thread until stopped.

    Deadlines are absolute (``deadline += period``), so lateness never accumulates. If a step
    overruns by whole periods, the missed deadlines are skipped (never called in a burst) and
    counted. Lateness of every tick (start time minus deadline) is kept for statistics in a
    bounded ring buffer.

    An exception in ``step`` ends the loop and is kept in :attr:`error`, unless ``on_error``
    is given: then it is counted, handed to ``on_error(exc, failing)`` with the number of
    consecutive failures (e.g. to hold the robot once per streak and log it)
    and the loop goes on, so a passing fault does not stop a robot for good.
    """

    def __init__(self, period: float, step: Callable[[], None], name: str = 'rtr-loop',
                 clock: Callable[[], float] = time.monotonic, keep: int = 100_000,
                 on_error: Callable[[Exception, int], None] | None = None):
        if not period > 0:
            raise ValueError(f'period must be positive, got {period}')
        self.period = period
        self._step = step
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._lateness = np.zeros(keep)
        self._count = 0
        self._overruns = 0
        self._on_error = on_error
        self._errors = self._failing = 0
        self.error: BaseException | None = None

    def start(self) -> PeriodicLoop:
        self._thread.start()
        return self

    def run(self) -> None:
        """Run the loop in the calling thread until :meth:`stop` (instead of :meth:`start`):
        for steps that must stay on one long-lived thread, e.g. a simulator whose camera owns
        an OpenGL context (current in one thread only)."""
        self._run()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def failing(self) -> int:
        """Consecutive steps that raised (0: the last one worked)."""
        return self._failing

    def _run(self) -> None:
        deadline = self._clock()
        while not self._stop.is_set():
            late = self._clock() - deadline
            self._lateness[self._count % self._lateness.size] = late
            self._count += 1
            try:
                self._step()
                self._failing = 0
            except Exception as exc:
                self.error = exc
                self._errors += 1
                self._failing += 1
                if self._on_error is None:
                    return  # surfaced to the owner through `error`
                try:
                    self._on_error(exc, self._failing)
                except Exception as again:  # the handler must not end the loop either
                    self.error = again
            except BaseException as exc:  # SystemExit, KeyboardInterrupt: end the loop
                self.error = exc
                return
            deadline += self.period
            behind = self._clock() - deadline
            if behind >= self.period:
                skipped = int(behind // self.period)
                self._overruns += skipped
                deadline += skipped * self.period
            wait = deadline - self._clock()
            if wait > 0:
                self._stop.wait(wait)

    def stats(self) -> LatenessStats:
        n = min(self._count, self._lateness.size)
        late = self._lateness[:n] * 1e3
        error = '' if self.error is None else f'{type(self.error).__name__}: {self.error}'
        if n == 0:
            return LatenessStats(0, float('nan'), float('nan'), float('nan'), 0, self._errors,
                                 self._failing, error)
        return LatenessStats(self._count, float(np.percentile(late, 50)),
                             float(np.percentile(late, 99)), float(late.max()),
                             self._overruns, self._errors, self._failing, error)
