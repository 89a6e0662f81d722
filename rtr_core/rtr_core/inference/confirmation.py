"""Waiting for the executor to take the chunk just sent, without ever waiting for good.

The policy side sends one chunk at a time and does not trigger again until the executor's
state resolves it: accepted (``last_received_chunk_id``), rejected
(``last_rejected_chunk_id``), the executor restarted (its counters went backwards: a
re-activation) or the clock went back, or no answer within a timeout, taken as lost. The
timeout follows the measured round trip (sent -> resolved), ``factor`` times its 95th
percentile, never below ``floor``: a chunk lost in DDS discovery, dropped by a full queue or
rejected by a peer that does not report it costs one timeout, not the robot's motion.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..executor.state import ExecutorState


class Confirmation:
    def __init__(self, floor: float = 0.25, factor: float = 2.0, keep: int = 200):
        if not floor > 0 or not factor >= 1:
            raise ValueError(f'confirmation timeout: floor > 0 and factor >= 1 expected, got '
                             f'{floor} and {factor}')
        self.floor = floor
        self.factor = factor
        self._awaiting = 0  # chunk id sent and not resolved yet (0: none)
        self._sent_at = 0.0
        self._round_trips: deque[float] = deque(maxlen=keep)
        self._counts: int | None = None  # accepted + rejected in the last state seen
        self.accepted = 0
        self.rejected = 0  # reported rejected by the executor
        self.unconfirmed = 0  # given up after the timeout (lost, or a silent rejection)
        self.resets = 0  # executor restarts seen while waiting

    def sent(self, chunk_id: int, now: float) -> None:
        self._awaiting, self._sent_at = chunk_id, now

    def timeout(self) -> float:
        if not self._round_trips:
            return self.floor
        return max(self.floor, self.factor * float(np.percentile(self._round_trips, 95)))

    def waiting(self, state: ExecutorState, now: float) -> bool:
        """True while the last chunk sent is unresolved; updates the counters."""
        counts = state.chunks_accepted + state.chunks_rejected
        restarted = self._counts is not None and counts < self._counts
        self._counts = counts
        if not self._awaiting:
            return False
        if state.last_received_chunk_id == self._awaiting:
            self.accepted += 1
            self._round_trips.append(now - self._sent_at)
        elif state.last_rejected_chunk_id == self._awaiting:
            self.rejected += 1
            self._round_trips.append(now - self._sent_at)
        elif restarted or now < self._sent_at:  # a re-activated executor, a clock gone back
            self.resets += 1
        elif now - self._sent_at > self.timeout():
            self.unconfirmed += 1
        else:
            return True
        self._awaiting = 0
        return False
