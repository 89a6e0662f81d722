"""One closed-loop episode as a rosbag2 (mcap) with every topic a ROS deployment has.

Camera image and camera_info, /joint_states, the wrench, the policy's ActionChunk (at its
arrival time), the executor's ExecutorState (every tick) and the JTC trajectory windows, all
as real ROS 2 CDR with the default topic names of :data:`rtr_core.topics.TOPICS`; episode
metadata (run, task, seed, result) is JSON in ``custom_data`` key ``rtr.demo``. Open it in
Foxglove or replay it with ``ros2 bag play``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from rtr_core.bag import BagWriter
from rtr_core.msgs import (
    camera_info_to_msg,
    chunk_to_msg,
    executor_state_to_msg,
    image_to_msg,
    joint_state_to_msg,
    window_to_msg,
    wrench_to_msg,
)
from rtr_core.topics import TOPICS, Topics

DEMO_KEY = 'rtr.demo'
WRENCH_FRAME = 'ft_sensor'


class EpisodeBag:
    def __init__(self, path: str | Path, joint_names, intrinsics=None,
                 topics: Topics = TOPICS):
        self._bag = BagWriter(path)
        self._types = self._bag.types
        self._names = tuple(joint_names)
        self._k = intrinsics
        self._topics = topics
        self._lock = threading.Lock()  # the real-time run writes from several threads

    def __enter__(self) -> EpisodeBag:
        self._bag.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._bag.__exit__(exc_type, exc, tb)

    @property
    def path(self) -> Path:
        return self._bag.path

    def _write(self, topic: str, msg, t: float) -> None:
        with self._lock:
            self._bag.write(topic, msg, t)

    def observation(self, obs) -> None:
        """A simulator tick: joint states, wrench and (on camera ticks) the image."""
        t, types, topics = obs.stamp, self._types, self._topics
        self._write(topics.joint_states,
                        joint_state_to_msg(t, self._names, obs.position, types,
                                           velocity=obs.velocity), t)
        self._write(topics.wrench,
                        wrench_to_msg(t, obs.wrench, types, frame_id=WRENCH_FRAME), t)
        if obs.image is not None:
            k = self._k
            self._write(topics.camera_image, image_to_msg(t, obs.image, types), t)
            if k is not None:
                self._write(topics.camera_info,
                                camera_info_to_msg(t, k.width, k.height, k.fx, k.fy, k.cx, k.cy,
                                                   types), t)

    def chunk(self, chunk, arrival: float) -> None:
        self._write(self._topics.action_chunk, chunk_to_msg(chunk, self._types), arrival)

    def window(self, window, t: float) -> None:
        self._write(self._topics.joint_trajectory, window_to_msg(window, self._types), t)

    def state(self, state, t: float) -> None:
        self._write(self._topics.executor_state, executor_state_to_msg(state, self._types), t)

    def metadata(self, meta: dict) -> None:
        self._bag.set_custom_data(DEMO_KEY, json.dumps(meta))
