"""A periodic loop on its own thread with absolute deadlines, and its lateness statistics.

ros2.md: for a 60 Hz loop prefer a dedicated thread with ``next += period; sleep until next``
over a timer in an executor; compute setpoints from measured time, not from the tick count.
Used by the ROS executor node, the simulator's real-time mode and ``rtr demo --real-time``.

A Python loop thread is late for three reasons besides the kernel's wake-up: another thread of
its process holds the GIL (released to a waiting thread only every ``sys.getswitchinterval()``,
5 ms by default), the cyclic garbage collector stops the process to scan every live object
(torch, rclpy and a model are hundreds of thousands), and other processes occupy the cores.
:class:`RealtimeConfig` addresses each: a shorter switch interval, ``gc.freeze()`` once the
process is set up, and optionally a SCHED_FIFO priority for the loop thread (what
ros2_control's ``thread_priority`` does for its update loop). The loop keeps its latest tick
broken down by these causes (:mod:`rtr_core.tick_probe`), so a stall says where it came from.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import ConfigError
from .tick_probe import LateTick, ThreadProbe


@dataclass(frozen=True)
class RealtimeConfig:
    """How a process with a real-time loop thread is set up (:func:`prepare_process`)."""

    # sys.setswitchinterval for the whole process, s (0: leave it): how long another thread
    # may hold the GIL while the loop thread waits for it (Python's default is 0.005)
    switch_interval: float = 0.0005
    # gc.freeze() when the loop starts: what is alive then (the modules, the model) is never
    # scanned again, so a collection scans only what the loop itself allocates
    freeze_gc: bool = True
    # SCHED_FIFO priority of the loop thread, 1-99 (0: the normal scheduler). Needs
    # CAP_SYS_NICE or an rtprio limit (/etc/security/limits.conf, as for ros2_control);
    # without them the loop runs at normal priority and says so.
    priority: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.switch_interval <= 0.1:
            raise ConfigError(f'realtime.switch_interval={self.switch_interval}: expected '
                              '0 (leave it) or up to 0.1 s')
        if not 0 <= self.priority <= 99:
            raise ConfigError(f'realtime.priority={self.priority}: expected 0 (normal '
                              'scheduling) or a SCHED_FIFO priority 1-99')


def prepare_process(config: RealtimeConfig) -> list[str]:
    """Apply the process-wide settings of ``config``; returns what was done, to log."""
    done = []
    if config.switch_interval > 0:
        before = sys.getswitchinterval()
        sys.setswitchinterval(config.switch_interval)
        done.append(f'GIL switch interval {before * 1e3:g} -> '
                    f'{config.switch_interval * 1e3:g} ms')
    if config.freeze_gc:
        gc.collect()
        gc.freeze()
        done.append(f'{gc.get_freeze_count()} objects frozen out of garbage collection')
    return done


def set_thread_priority(priority: int) -> str:
    """Give the calling thread SCHED_FIFO ``priority`` (0: nothing); returns '' or why not."""
    if priority <= 0:
        return ''
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))  # this thread
    except (AttributeError, OSError) as exc:
        return (f'SCHED_FIFO priority {priority} refused ({exc}): the loop runs at normal '
                'priority; grant an rtprio limit or CAP_SYS_NICE')
    return ''


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
    # the latest tick since the loop started (the percentiles and max: the last `keep` ticks),
    # broken down by cause (rtr_core.tick_probe)
    worst: LateTick | None = None


class PeriodicLoop:
    """Call ``step()`` every ``period`` seconds on a dedicated thread until stopped.

    Deadlines are absolute (``deadline += period``), so lateness never accumulates. If a step
    overruns by whole periods, the missed deadlines are skipped (never called in a burst) and
    counted. Lateness of every tick (start time minus deadline; after skipped deadlines, minus
    the first one missed, so a stall counts in full wherever it hit) is kept for statistics in
    a bounded ring buffer.

    An exception in ``step`` ends the loop and is kept in :attr:`error`, unless ``on_error``
    is given: then it is counted, handed to ``on_error(exc, failing)`` with the number of
    consecutive failures (e.g. to hold the robot once per streak and log it)
    and the loop goes on, so a passing fault does not stop a robot for good.

    ``align``: the clock of the ticks ``step`` executes (e.g. the node's ROS time, whose tick is
    ``tick_of(now, period)``, the nearest multiple of ``period``). The deadlines are kept on
    its multiples, nudged back every period (by at most half a period), so a call lands just
    after the tick it executes. Without it the loop's phase is wherever it started: started
    near half a period from that clock's ticks, a call a little late rounded to the next
    tick and the following one to the same, skipping ticks (measured: 43 of 488 ticks of an
    episode over ROS 2, 20 in process, jerk spikes of 4000 rad/s^3 in the commands).
    """

    def __init__(self, period: float, step: Callable[[], None], name: str = 'rtr-loop',
                 clock: Callable[[], float] = time.monotonic, keep: int = 100_000,
                 on_error: Callable[[Exception, int], None] | None = None,
                 priority: int = 0, align: Callable[[], float] | None = None):
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
        self._priority = priority
        self._align = align
        self._worst: LateTick | None = None
        self.priority_error = ''  # why the SCHED_FIFO priority asked for was not granted

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
        self.priority_error = set_thread_priority(self._priority)
        probe = ThreadProbe()
        try:
            self._loop(probe)
        finally:
            probe.close()

    def _loop(self, probe: ThreadProbe) -> None:
        deadline = started = self._clock()
        if self._align is not None:  # start at the reference clock's next tick
            deadline += -self._align() % self.period
            self._stop.wait(max(0.0, deadline - self._clock()))
        ended = step_start = deadline
        step_started = after_step = probe.sample()  # the previous step's start and end
        due = deadline  # the deadline this tick answers: the first one missed, if any were
        while not self._stop.is_set():
            now = self._clock()
            at_tick = probe.sample()  # reads gc first: a collection from here on is the step's
            late = now - due
            self._lateness[self._count % self._lateness.size] = late
            self._count += 1
            if self._worst is None or late * 1e3 > self._worst.lateness_ms:
                self._worst = LateTick.of(late, now - started, max(0.0, ended - due),
                                          max(0.0, ended - step_start), step_started,
                                          after_step, at_tick)
            step_start, step_started = now, at_tick
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
            ended, after_step = self._clock(), probe.sample()
            behind = ended - deadline
            first_missed, skipped = deadline, 0
            if behind >= self.period:
                skipped = int(behind // self.period)
                self._overruns += skipped
                deadline += skipped * self.period
            if self._align is not None:
                deadline = self._aligned(deadline)
            due = first_missed if skipped else deadline
            wait = deadline - self._clock()
            if wait > 0:
                self._stop.wait(wait)

    def _aligned(self, deadline: float) -> float:
        """``deadline`` moved onto the nearest tick of the ``align`` clock (the two clocks
        drift apart, and the reference may be re-set)."""
        at = self._align() + (deadline - self._clock())  # the reference time at the deadline
        return deadline - (at - self.period * round(at / self.period))

    def lateness_ms(self) -> np.ndarray:
        """The lateness of the kept ticks (the last ``keep``), ms, oldest first."""
        n = min(self._count, self._lateness.size)
        start = self._count % self._lateness.size if self._count > n else 0
        return np.roll(self._lateness[:n], -start) * 1e3

    def stats(self) -> LatenessStats:
        n = min(self._count, self._lateness.size)
        late = self._lateness[:n] * 1e3
        error = '' if self.error is None else f'{type(self.error).__name__}: {self.error}'
        if n == 0:
            return LatenessStats(0, float('nan'), float('nan'), float('nan'), 0, self._errors,
                                 self._failing, error)
        return LatenessStats(self._count, float(np.percentile(late, 50)),
                             float(np.percentile(late, 99)), float(late.max()),
                             self._overruns, self._errors, self._failing, error, self._worst)
