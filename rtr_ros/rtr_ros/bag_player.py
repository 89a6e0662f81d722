"""A small rosbag2 player over DDS: the stand-in for ``ros2 bag play --clock`` where rosbag2
is not installed (ROS 2 from PyPI has no rosbag2; docs/ros2.md).

Each stored message is published as it was recorded (its CDR bytes, unchanged) at its
recorded time, paced on the wall clock (``rate`` scales it), and every message is preceded
by a /clock message carrying its recorded receive time. Nodes with use_sim_time therefore
see the recording's own time line even when a loaded machine makes the playback late: pacing
decides only how fast sim time advances, never which stamps it shows.

Needs rclpy (node modules and tests only); reading is rtr_core.bag's.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from rclpy.qos import QoSProfile, ReliabilityPolicy

from rtr_core.bag.reader import BagReader
from rtr_core.bag.writer import BagError


def message_class(msgtype: str):
    """The rclpy class of ``pkg/msg/Name``; a BagError names the type if it is missing."""
    try:
        pkg, kind, name = msgtype.split('/')
        return getattr(importlib.import_module(f'{pkg}.{kind}'), name)
    except (ValueError, ImportError, AttributeError) as exc:
        raise BagError(f'message type {msgtype}: not importable in this ROS environment '
                       f'({exc})') from exc


class BagPlayer:
    """Publishes ``topics`` (default: all) of the bag at ``path`` from ``node``."""

    def __init__(self, node, path: str | Path, topics: Sequence[str] | None = None,
                 rate: float = 1.0, clock: bool = True, depth: int = 100):
        if rate <= 0:
            raise ValueError(f'bag player rate={rate}: expected > 0')
        self.path, self.rate, self.node = Path(path), rate, node
        self._reader = BagReader(self.path)
        all_topics = self._reader.topics
        self.topics = tuple(all_topics) if topics is None else tuple(topics)
        for topic in self.topics:
            self._reader.require(topic)  # BagError naming the bag, the topic and what it has
        qos = QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE)
        self._pubs = {t: node.create_publisher(message_class(all_topics[t]), t, qos)
                      for t in self.topics}
        self._clock = None
        if clock:
            from rosgraph_msgs.msg import Clock

            self._clock_msg = Clock
            self._clock = node.create_publisher(Clock, '/clock', qos)
        self.published = 0
        self.late_s = 0.0  # worst lag of a publication behind its paced wall time

    def wait_for_subscribers(self, topics: Sequence[str], timeout: float = 10.0) -> None:
        """Block until each of ``topics`` has a subscriber (discovery), or raise."""
        deadline = time.monotonic() + timeout
        while True:
            missing = [t for t in topics if self._pubs[t].get_subscription_count() == 0]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f'bag player: no subscriber on {", ".join(missing)} after '
                                   f'{timeout:.0f} s')
            time.sleep(0.05)

    def play(self, stop: threading.Event | None = None) -> int:
        """Publish every message at its recorded time (blocking); returns how many."""
        stop = stop or threading.Event()
        start_wall = start_bag = None
        for topic, _, t_ns, raw in self._reader.raw_messages(self.topics):
            if stop.is_set():
                break
            if start_wall is None:
                start_wall, start_bag = time.monotonic(), t_ns
            due = start_wall + (t_ns - start_bag) * 1e-9 / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                stop.wait(wait)
            else:
                self.late_s = max(self.late_s, -wait)
            if self._clock is not None:
                msg = self._clock_msg()
                msg.clock.sec, msg.clock.nanosec = divmod(t_ns, 1_000_000_000)
                self._clock.publish(msg)
            self._pubs[topic].publish(raw)  # serialised: the recorded CDR bytes
            self.published += 1
        return self.published

    def close(self) -> None:
        for pub in self._pubs.values():
            self.node.destroy_publisher(pub)
        if self._clock is not None:
            self.node.destroy_publisher(self._clock)
        self._reader.close()
