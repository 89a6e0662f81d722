"""A subscription read on demand: the newest message, taken when a loop needs it.

Joint states come at the controller's rate (often 500 Hz). A callback per message wakes the
executor, rebuilds its wait set and runs Python 500 times a second on a node whose spin thread
shares the GIL with the 60 Hz loop. A :class:`LatestMessage` is in a callback group that no
executor ever waits on: DDS keeps the newest sample (KEEP_LAST, depth 1) and :meth:`take`,
called by the reader's own thread at its own rate, drains it. Python runs at the reader's
rate, not the publisher's (benchmarks/bench_ros.py measures both).
"""

from __future__ import annotations

import threading

from rclpy.callback_groups import CallbackGroup
from rclpy.qos import QoSProfile, ReliabilityPolicy


class _NeverExecuted(CallbackGroup):
    """Entities of this group are never added to an executor's wait set."""

    def can_execute(self, entity) -> bool:
        return False

    def beginning_execution(self, entity) -> bool:
        return False

    def ending_execution(self, entity) -> None:
        pass


def _never_called(msg) -> None:  # pragma: no cover - the group is never executed
    raise AssertionError('a LatestMessage subscription was executed')


class LatestMessage:
    """The newest message on ``topic``, taken on demand by :meth:`take` (thread-safe)."""

    def __init__(self, node, msg_type, topic: str, qos: QoSProfile | None = None):
        # best effort is compatible with reliable and best-effort publishers alike
        qos = qos or QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        self.topic = topic
        self._sub = node.create_subscription(msg_type, topic, _never_called, qos,
                                             callback_group=_NeverExecuted())
        self._lock = threading.Lock()
        self._latest = None
        self.taken = 0  # messages taken from DDS (for statistics)

    def take(self):
        """The newest message received so far (None before the first one)."""
        sub = self._sub
        with self._lock:
            while True:
                with sub.handle:
                    taken = sub.handle.take_message(sub.msg_type, sub.raw)
                if taken is None:
                    return self._latest
                self._latest = taken[0]
                self.taken += 1

    def destroy(self, node) -> None:
        node.destroy_subscription(self._sub)
