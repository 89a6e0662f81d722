"""Inference in its own thread, triggered by the executor's state (never in a callback).

The worker sleeps until a trigger, snapshots the latest inputs, runs the policy and hands
the chunk, stamped with the observation time, to ``publish``. It never triggers again before
the executor's state resolves the previous chunk (accepted, rejected, lost after a timeout, or
the executor restarted: :mod:`.confirmation`), so a stale state cannot cause a burst and one
lost chunk cannot stop inference. Whatever the policy raises is counted, logged (with its
traceback, rate-limited) and survived: the next trigger infers again.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..chunk import Chunk
from ..executor.config import TriggerConfig
from ..executor.state import ExecutorState
from ..executor.trigger import Trigger
from ..policy.rtc import RTCContext
from .confirmation import Confirmation
from .inputs import LatestInputs

log = logging.getLogger('rtr.inference')


@dataclass(frozen=True)
class InferenceStats:
    chunks: int
    latency_p50_ms: float  # observation stamp -> chunk published
    latency_p95_ms: float
    compute_p50_ms: float  # time inside the policy
    skipped: int  # triggers with missing or stale inputs
    failed: int  # policy errors (logged, never raised)
    dropped: dict[str, int]  # inputs overwritten before use
    last_problem: str
    failing: int = 0  # consecutive failed inferences (0: the last one worked)
    last_error: str = ''  # the last policy error, with its type
    rejected: int = 0  # chunks the executor reported rejected
    unconfirmed: int = 0  # chunks never confirmed within the timeout (lost)
    alive: bool = True  # the worker thread is running (False only after stop())


class InferenceWorker:
    """Run ``predict(observation, rtc)`` when the executor asks for a chunk.

    ``trigger=None`` follows the executor's own ``inference_requested`` flag; a
    :class:`TriggerConfig` applies that rule to ``planned_actions_left`` here instead.
    ``rtc=True`` passes the previous chunk's remainder to the policy (real-time chunking).
    ``confirmation`` decides how long to wait for the executor to resolve a chunk.
    """

    LOG_EVERY = 10.0  # s between two logged tracebacks of a failing policy

    def __init__(self, predict: Callable, inputs: LatestInputs,
                 publish: Callable[[Chunk], None], clock: Callable[[], float],
                 stale_after: float = 0.5, trigger: TriggerConfig | None = None,
                 rtc: bool = False, keep: int = 1000,
                 confirmation: Confirmation | None = None):
        self._predict = predict
        self._inputs = inputs
        self._publish = publish
        self._clock = clock
        self._stale_after = stale_after
        self._trigger = None if trigger is None else Trigger(trigger)
        self._rtc = rtc
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._busy = False
        self._next_id = 1
        self._confirmation = confirmation or Confirmation()
        self._previous: Chunk | None = None
        self._latency = deque(maxlen=keep)
        self._compute = deque(maxlen=keep)
        self._chunks = self._skipped = self._failed = self._failing = 0
        self._problem = self._error = ''
        self._logged_at = -math.inf
        self._unlogged = 0
        self._thread = threading.Thread(target=self._run, name='rtr-inference', daemon=True)

    def start(self) -> InferenceWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def on_executor_state(self, state: ExecutorState) -> None:
        """Called for every executor state (60 Hz); cheap."""
        with self._lock:
            if self._confirmation.waiting(state, self._clock()) or self._busy:
                return
            received_any = state.chunks_accepted > 0
        if self._trigger is None:
            requested = state.inference_requested
        else:
            requested = self._trigger.requested(state.planned_actions_left, received_any)
        if requested:
            self._wake.set()

    def request(self) -> None:
        """Ask for one inference now (e.g. the very first chunk)."""
        self._wake.set()

    def take_request(self) -> bool:
        """True (and consumed) when a trigger asked for an inference: for a caller that runs
        :meth:`run_once` on its own clock instead of :meth:`start` (a simulation)."""
        requested = self._wake.is_set()
        self._wake.clear()
        return requested

    def run_once(self) -> None:
        """One inference now, on the caller's thread; never raises (failures are counted)."""
        with self._lock:
            self._busy = True
        try:
            self._infer_once()
        except Exception as exc:  # a policy or publish error must not end inference
            self._count_failure(exc)
        finally:
            with self._lock:
                self._busy = False

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wake.wait(0.1):
                continue
            self._wake.clear()
            if self._stop.is_set():
                return
            self.run_once()

    def _infer_once(self) -> None:
        observation, problem = self._inputs.observation(self._clock(), self._stale_after)
        if observation is None:
            self._skipped += 1
            if problem != self._problem:
                log.warning('not inferring: %s', problem)
            self._problem = problem
            return
        self._problem = ''
        rtc = self._rtc_context(observation.stamp)
        chunk = self._predict(observation, rtc)
        chunk = dataclasses.replace(chunk, chunk_id=self._next_id)
        self._next_id += 1
        self._failing = 0
        with self._lock:
            self._confirmation.sent(chunk.chunk_id, self._clock())
        self._publish(chunk)
        self._chunks += 1
        self._latency.append(self._clock() - observation.stamp)
        self._compute.append(chunk.inference_duration)
        self._previous = chunk

    def _count_failure(self, exc: Exception) -> None:
        self._failed += 1
        self._failing += 1
        self._error = f'{type(exc).__name__}: {exc}'
        now = time.monotonic()
        if now - self._logged_at < self.LOG_EVERY:
            self._unlogged += 1
            return
        more = f' ({self._unlogged} more failures since the last report)' if self._unlogged else ''
        log.error('policy failed (%d in a row, %d in all)%s: %s', self._failing, self._failed,
                  more, self._error, exc_info=exc)
        self._logged_at, self._unlogged = now, 0

    def _rtc_context(self, stamp: float) -> RTCContext | None:
        prev = self._previous
        if not self._rtc or prev is None:
            return None
        expected = float(np.median(self._latency)) if self._latency else 0.0
        start = stamp + prev.dt
        if prev.times[-1] < start:
            return None
        return RTCContext.from_chunk(prev, start, prev.dt, math.ceil(expected / prev.dt))

    def stats(self) -> InferenceStats:
        lat = np.asarray(self._latency) * 1e3
        comp = np.asarray(self._compute) * 1e3

        def pct(a, q):
            return float(np.percentile(a, q)) if a.size else float('nan')

        with self._lock:
            rejected, lost = self._confirmation.rejected, self._confirmation.unconfirmed
        return InferenceStats(self._chunks, pct(lat, 50), pct(lat, 95), pct(comp, 50),
                              self._skipped, self._failed, dict(self._inputs.dropped),
                              self._problem, self._failing, self._error, rejected, lost,
                              self._thread.is_alive() or not self._thread.ident)
