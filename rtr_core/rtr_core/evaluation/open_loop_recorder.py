"""Open-loop evaluation while a bag plays (the ROS counterpart of ``rtr eval open-loop``).

The policy node infers from the replayed observations; this recorder collects its chunks and
the recorded action stream, stands in for the executor's trigger (asking for the next chunk as
soon as the previous one arrived, or, with ``stride``, at the ticks ``rtr eval open-loop
--stride`` plans from), and scores everything with :class:`OpenLoopScorer` at the end.
ROS-free: the evaluator node only feeds it messages.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..chunk import Chunk
from ..errors import RtrError
from ..executor.state import MODE_IDLE, ExecutorState
from ..joints import select_joints
from ..msgs import action_from_msg
from ..timeline import tick_of
from .open_loop import OpenLoopResult, OpenLoopScorer, write_open_loop


class OpenLoopRecorder:
    def __init__(self, period: float = 1.0 / 60.0, stride: int = 0,
                 action_topic: str = 'the action topic'):
        if stride < 0:
            raise RtrError(f'open-loop stride={stride}: expected 0 (a chunk as soon as the '
                           'previous one arrived) or a number of ticks')
        self.period = period
        self.stride = stride
        self.action_topic = action_topic  # named in errors
        self._grid: int | None = None  # stride: tick of the first recorded action
        self._next_tick = 0  # stride: the next tick a chunk is asked for
        self._lock = threading.Lock()
        self._times: list[float] = []
        self._actions: list[np.ndarray] = []
        self._names: tuple[str, ...] | None = None
        self._chunks: list[Chunk] = []

    def add_action_msg(self, msg, receive_time: float) -> None:
        """A recorded JointTrajectory / Float64MultiArray / JointState message."""
        t, names, values = action_from_msg(msg, receive_time)
        with self._lock:
            if self._names is None:
                self._names = names
                # the tick the first action is planned from: one period before its target
                # time (as rtr_training's dataset pairs actions with observations)
                self._grid = self._next_tick = tick_of(t - self.period, self.period)
            self._times.append(t)
            self._actions.append(select_joints(names, values, self._names, 'recorded action'))

    def add_chunk(self, chunk: Chunk) -> None:
        with self._lock:
            self._chunks.append(chunk)
            if self.stride and self._grid is not None:  # the next grid tick after its plan
                done = (tick_of(chunk.stamp, self.period) - self._grid) // self.stride + 1
                self._next_tick = max(self._next_tick, self._grid + done * self.stride)

    def trigger_state(self, now: float) -> ExecutorState:
        """An executor state that asks for a chunk as soon as the last one arrived (with
        ``stride``: once the clock reached the next tick of the grid every ``stride`` ticks
        from the first recorded action's plan tick, the plan ticks of ``rtr eval open-loop``)."""
        tick = tick_of(now, self.period)
        with self._lock:
            last = self._chunks[-1].chunk_id if self._chunks else 0
            names = self._names or ()
            requested = not self.stride or (self._grid is not None and tick >= self._next_tick)
            accepted = len(self._chunks)
        zeros = np.zeros(len(names))
        return ExecutorState(now, tick, self.period, names, zeros, zeros, 0, last, last,
                             requested, 'open_loop', MODE_IDLE, chunks_accepted=accepted)

    @property
    def counts(self) -> tuple[int, int]:
        """(recorded actions, chunks) so far."""
        with self._lock:
            return len(self._times), len(self._chunks)

    @property
    def chunks(self) -> list[Chunk]:
        """The chunks received so far, in plan-time order."""
        with self._lock:
            return sorted(self._chunks, key=lambda c: c.stamp)

    def result(self, chunks: list[Chunk] | None = None) -> OpenLoopResult:
        """Scores of the received chunks (or of ``chunks``, e.g. another run's, against the
        actions received here)."""
        with self._lock:
            chunks = self._chunks if chunks is None else list(chunks)
            if not chunks or not self._times:
                raise RtrError(f'open-loop evaluation: {len(self._times)} recorded actions on '
                               f'{self.action_topic} and {len(chunks)} chunks; need '
                               'both (is the bag playing, with that topic, and the policy '
                               'node active?)')
            order = np.argsort(self._times, kind='stable')
            times = np.asarray(self._times)[order]
            actions = np.asarray(self._actions)[order]
            scorer = OpenLoopScorer(self._names, self.period)
            scorer.recording(times, actions)
            for chunk in sorted(chunks, key=lambda c: c.stamp):
                scorer.add(chunk)
        return scorer.result()

    def write(self, out_dir: str | Path, name: str = 'policy') -> list[Path]:
        return write_open_loop(out_dir, {name: self.result()},
                               'Open-loop evaluation during bag replay')
