"""Open-loop evaluation while a bag plays (the ROS counterpart of ``rtr eval open-loop``).

The policy node infers from the replayed observations; this recorder collects its chunks and
the recorded action stream, stands in for the executor's trigger (asking for the next chunk as
soon as the previous one arrived), and scores everything with :class:`OpenLoopScorer` at the
end. ROS-free: the evaluator node only feeds it messages.
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
from .open_loop import OpenLoopResult, OpenLoopScorer, write_open_loop


class OpenLoopRecorder:
    def __init__(self, period: float = 1.0 / 60.0):
        self.period = period
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
            self._times.append(t)
            self._actions.append(select_joints(names, values, self._names, 'recorded action'))

    def add_chunk(self, chunk: Chunk) -> None:
        with self._lock:
            self._chunks.append(chunk)

    def trigger_state(self, now: float) -> ExecutorState:
        """An executor state that asks for a chunk as soon as the last one arrived."""
        with self._lock:
            last = self._chunks[-1].chunk_id if self._chunks else 0
            names = self._names or ()
        zeros = np.zeros(len(names))
        return ExecutorState(now, int(round(now / self.period)), self.period, names, zeros,
                             zeros, 0, last, last, True, 'open_loop', MODE_IDLE,
                             chunks_accepted=len(self._chunks))

    @property
    def counts(self) -> tuple[int, int]:
        """(recorded actions, chunks) so far."""
        with self._lock:
            return len(self._times), len(self._chunks)

    def result(self) -> OpenLoopResult:
        with self._lock:
            if not self._chunks or not self._times:
                raise RtrError(f'open-loop evaluation: {len(self._times)} recorded actions and '
                               f'{len(self._chunks)} chunks; need both (is the bag playing '
                               'and the policy node active?)')
            order = np.argsort(self._times, kind='stable')
            times = np.asarray(self._times)[order]
            actions = np.asarray(self._actions)[order]
            scorer = OpenLoopScorer(self._names, self.period)
            scorer.recording(times, actions)
            for chunk in sorted(self._chunks, key=lambda c: c.stamp):
                scorer.add(chunk)
        return scorer.result()

    def write(self, out_dir: str | Path, name: str = 'policy') -> list[Path]:
        return write_open_loop(out_dir, {name: self.result()},
                               'Open-loop evaluation during bag replay')
