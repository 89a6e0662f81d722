"""Why was a tick late? What the kernel and the interpreter did to a loop thread meanwhile.

A tick of a Python loop thread starts late for reasons that can be told apart from inside the
process (Linux): the previous step ran past the deadline; the thread was runnable but waited
for a core (the kernel's run-queue delay, ``/proc/thread-self/schedstat``); the cyclic garbage
collector stopped the process (``gc.callbacks``); the thread faulted pages in
(``getrusage(RUSAGE_THREAD)``); the hypervisor ran another guest on the virtual cores (steal
time, ``/proc/stat``, in 10 ms units). What none of these explains is the wait for the GIL
(another thread of the process held it: the thread then blocks more than once, counted as
voluntary switches) or a late timer. :class:`PeriodicLoop` keeps this breakdown
for its latest tick (``LatenessStats.worst``), so a stall reported by ``/diagnostics`` says
where to look.
"""

from __future__ import annotations

import gc
import math
import os
import time
from dataclasses import dataclass

try:
    import resource
except ImportError:  # not POSIX
    resource = None

_gc_total = 0.0
_gc_started: float | None = None


def _on_gc(phase: str, info: dict) -> None:
    global _gc_total, _gc_started
    if phase == 'start':
        _gc_started = time.perf_counter()
    elif _gc_started is not None:
        _gc_total += time.perf_counter() - _gc_started
        _gc_started = None


def gc_seconds() -> float:
    """Seconds this process has spent in garbage collections since the first call (the
    collector stops every thread: they all hold or wait for the GIL), a collection under way
    included: the callback that ends one is Python code, where the thread that waited for the
    collection often takes the GIL over before the total is updated."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
    started = _gc_started
    return _gc_total + (0.0 if started is None else time.perf_counter() - started)


@dataclass(frozen=True)
class ThreadSample:
    run_queue: float  # s this thread was runnable but waited for a core, since it started
    cpu: float  # s this thread ran on a core (time.thread_time: exact, also while it runs)
    gc: float  # s the process spent collecting garbage
    faults: int  # page faults of this thread (minor + major)
    major_faults: int
    preempted: int  # involuntary context switches of this thread
    blocked: int  # voluntary context switches of this thread (sleeps, waits for the GIL)
    steal: float  # s the hypervisor gave the machine's virtual cores to others (all cores)


class ThreadProbe:
    """Counters of the thread that creates it (create it in the loop thread)."""

    def __init__(self) -> None:
        try:  # /proc/thread-self resolves to this thread when opened: the fd stays bound to it
            self._schedstat: int | None = os.open('/proc/thread-self/schedstat', os.O_RDONLY)
        except OSError:
            self._schedstat = None
        self._usage = getattr(resource, 'RUSAGE_THREAD', None)
        try:
            self._stat: int | None = os.open('/proc/stat', os.O_RDONLY)
            self._jiffy = 1.0 / os.sysconf('SC_CLK_TCK')
        except (OSError, ValueError, AttributeError):
            self._stat = None
        gc_seconds()

    def sample(self) -> ThreadSample:
        """The counters now. The process-wide ones that cannot release the GIL come first: a
        read of /proc releases it, and a collection another thread starts meanwhile must fall
        after this sample, in the window the next late tick is broken down over."""
        collecting = gc_seconds()
        faults = major = preempted = blocked = -1
        if self._usage is not None:
            usage = resource.getrusage(self._usage)
            faults, major = usage.ru_minflt + usage.ru_majflt, usage.ru_majflt
            preempted, blocked = usage.ru_nivcsw, usage.ru_nvcsw
        cpu = time.thread_time()  # schedstat's own figure lags a running thread by a tick
        delay = math.nan
        if self._schedstat is not None:
            try:  # 'on-cpu-ns run-queue-ns timeslices'
                delay = int(os.pread(self._schedstat, 128, 0).split()[1]) * 1e-9
            except (OSError, ValueError, IndexError):
                delay = math.nan
        steal = math.nan
        if self._stat is not None:
            try:  # 'cpu  user nice system idle iowait irq softirq steal ...'
                steal = int(os.pread(self._stat, 256, 0).split(maxsplit=9)[8]) * self._jiffy
            except (OSError, ValueError, IndexError):
                steal = math.nan
        return ThreadSample(delay, cpu, collecting, faults, major, preempted, blocked, steal)

    def close(self) -> None:
        for fd in (self._schedstat, self._stat):
            if fd is not None:
                os.close(fd)
        self._schedstat = self._stat = None


OVERRUN = 'the previous step overran'


@dataclass(frozen=True)
class LateTick:
    """One late tick, broken down (ms). Its deadline: the one it answers, after skipped ticks
    the first one missed. ``overrun``: the previous step ended this long after that deadline
    (garbage collection meanwhile counted in ``gc_ms`` instead); the rest happened while the
    thread waited for the deadline."""

    lateness_ms: float
    at_s: float  # seconds after the loop started
    overrun_ms: float
    run_queue_ms: float  # NaN where the kernel does not say
    gc_ms: float
    faults: int
    major_faults: int
    preempted: int
    blocked: int  # times the thread blocked (1: just its sleep; more: waits for the GIL)
    steal_ms: float  # hypervisor steal time of all virtual cores, 10 ms resolution
    # inside the previous step: why it overran
    step_ms: float = 0.0  # how long it took
    step_cpu_ms: float = 0.0  # on a core
    step_run_queue_ms: float = 0.0  # waiting for a core
    step_blocked: int = 0  # times it blocked (the GIL, a lock, I/O or a sleep of its own)
    # hypervisor steal meanwhile (all cores, 10 ms resolution): on a VM stolen time can count
    # as the thread's time on a core (bench_tick_cpu: fixed work 28x its median, 40 ms stolen)
    step_steal_ms: float = 0.0

    @staticmethod
    def of(lateness: float, at: float, overrun: float, step: float,
           step_started: ThreadSample, before: ThreadSample, after: ThreadSample) -> LateTick:
        """``step``: the previous step's duration (s); the counters when it started
        (``step_started``), when it ended (``before``) and at this tick (``after``). Garbage
        collected during the overrun counts as garbage collection, not as the step's (e.g. a
        collection another thread started while the loop read its counters)."""
        gc_in_overrun = min(max(0.0, before.gc - step_started.gc), overrun)
        return LateTick(lateness * 1e3, at, (overrun - gc_in_overrun) * 1e3,
                        (after.run_queue - before.run_queue) * 1e3,
                        (after.gc - before.gc + gc_in_overrun) * 1e3,
                        after.faults - before.faults,
                        after.major_faults - before.major_faults,
                        after.preempted - before.preempted, after.blocked - before.blocked,
                        (after.steal - before.steal) * 1e3, step * 1e3,
                        (before.cpu - step_started.cpu) * 1e3,
                        (before.run_queue - step_started.run_queue) * 1e3,
                        before.blocked - step_started.blocked,
                        (before.steal - step_started.steal) * 1e3)

    @property
    def unexplained_ms(self) -> float:
        """Lateness none of the counters explains: the GIL held by another thread of the
        process, or a late timer."""
        known = self.overrun_ms + self.gc_ms + \
            (0.0 if math.isnan(self.run_queue_ms) else self.run_queue_ms)
        return max(0.0, self.lateness_ms - known)

    @property
    def cause(self) -> str:
        """The likely cause, in words: the counter that explains at least half of the
        lateness, else a GIL wait (the thread blocked more than once), else the hypervisor
        (steal time meanwhile), else the timer."""
        known = {OVERRUN: self.overrun_ms,
                 'waiting for a core (the kernel ran another task: a non-preemptible kernel '
                 'section, or a real-time thread of higher priority)': self.run_queue_ms,
                 'garbage collection': self.gc_ms}
        name, ms = max(known.items(), key=lambda kv: -1.0 if math.isnan(kv[1]) else kv[1])
        if ms >= 0.5 * self.lateness_ms:
            if name == OVERRUN:
                return name + self._why_the_step_overran()
            return name
        if self.blocked > 1:
            return 'the GIL, held by another thread of the process'
        if self.steal_ms > 0:
            return 'the hypervisor (steal time)'
        return 'unexplained (the timer)'

    @property
    def step_off_cpu_ms(self) -> float:
        """How long the previous step was neither on a core nor waiting for one: blocked (the
        GIL or a lock held by another thread, I/O, a sleep). Where the kernel does not say how
        long it waited for a core, that wait counts here too."""
        queue = 0.0 if math.isnan(self.step_run_queue_ms) else self.step_run_queue_ms
        return max(0.0, self.step_ms - self.step_cpu_ms - queue)

    def _why_the_step_overran(self) -> str:
        if self.step_run_queue_ms >= 0.5 * self.overrun_ms:
            return ': it waited for a core'
        if self.step_off_cpu_ms >= 0.5 * self.overrun_ms:
            return (f': it blocked {self.step_blocked}x (the GIL or a lock held by another '
                    'thread of the process, I/O, or a sleep of its own)')
        if self.step_steal_ms > 0:
            return (f' (on a core, with {self.step_steal_ms:.0f} ms of hypervisor steal '
                    'meanwhile: on a VM stolen time can count as time on a core)')
        return ' (its own work)'

    def __str__(self) -> str:
        queue = 'n/a' if math.isnan(self.run_queue_ms) else f'{self.run_queue_ms:.1f} ms'
        steal = 'n/a' if math.isnan(self.steal_ms) else f'{self.steal_ms:.0f} ms'
        return (f'{self.lateness_ms:.1f} ms late at {self.at_s:.1f} s, likely {self.cause}: '
                f'previous step '
                f'{self.overrun_ms:.1f} ms past the deadline (it took {self.step_ms:.1f} ms: on a '
                f'core {self.step_cpu_ms:.1f}, waiting for one {self.step_run_queue_ms:.1f}, '
                f'blocked {self.step_off_cpu_ms:.1f} ms, {self.step_blocked}x, steal '
                f'{self.step_steal_ms:.0f} ms), then '
                f'waiting for a core {queue}, '
                f'garbage collection {self.gc_ms:.1f} ms, {self.faults} page faults '
                f'({self.major_faults} major), preempted {self.preempted}x, blocked '
                f'{self.blocked}x, hypervisor steal {steal} (all cores); '
                f'{self.unexplained_ms:.1f} ms none of the timed causes explains')
