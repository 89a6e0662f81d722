"""Actions from a rosbag2 recording: the commanded stream or the measured joint states
(JointTrajectory, Float64MultiArray or JointState; see :func:`rtr_core.msgs.action_from_msg`
for which action each message carries).

Columns follow ``joints`` when given, else the first message's joint order; every message is
reordered by name, so a publisher that shuffles names is read correctly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rtr_core.bag import BagReader
from rtr_core.msgs import action_from_msg

from .trajectory import DataError

JOINT_TRAJECTORY = 'trajectory_msgs/msg/JointTrajectory'
FLOAT64_ARRAY = 'std_msgs/msg/Float64MultiArray'
JOINT_STATE = 'sensor_msgs/msg/JointState'
SUPPORTED = (JOINT_TRAJECTORY, FLOAT64_ARRAY, JOINT_STATE)


def choose_topic(bag: BagReader, topic: str | None) -> str:
    """``topic`` if given (checked), else the only commanded-action topic, else the only
    JointState topic."""
    topics = bag.topics
    if topic is not None:
        bag.require(topic)
        if topics[topic] not in SUPPORTED:
            raise DataError(f'{bag.path}: topic {topic} has type {topics[topic]}; actions can be '
                            f'read from {", ".join(SUPPORTED)}')
        return topic
    for types in ((JOINT_TRAJECTORY, FLOAT64_ARRAY), (JOINT_STATE,)):
        found = sorted(t for t, m in topics.items() if m in types)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise DataError(f'{bag.path}: several action topics ({", ".join(found)}); '
                            f'choose one with --topic')
    raise DataError(f'{bag.path}: no topic of type {", ".join(SUPPORTED)}; it has '
                    f'{", ".join(f"{t} ({m})" for t, m in sorted(topics.items())) or "none"}')


def _reorder(names: tuple[str, ...], values: np.ndarray, order: tuple[str, ...],
             where: str) -> np.ndarray:
    if names == order:
        return values
    index = {n: i for i, n in enumerate(names)}
    missing = [n for n in order if n not in index]
    if missing:
        raise DataError(f'{where}: joints {", ".join(missing)} missing (message has '
                        f'{", ".join(names)})')
    return values[[index[n] for n in order]]


def read_bag_actions(path: str | Path, topic: str | None = None,
                     joints: Sequence[str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str]:
    """(times (N,), actions (N, D), names, topic) from a bag, sorted by time."""
    order = tuple(joints) if joints else None
    times: list[float] = []
    rows: list[np.ndarray] = []
    with BagReader(path) as bag:
        topic = choose_topic(bag, topic)
        msgtype = bag.topics[topic]
        for m in bag.messages([topic]):
            where = f'{bag.path}: topic {topic} at t={m.time:.6f}s'
            try:
                t, names, values = action_from_msg(m.msg, m.time)
            except Exception as exc:
                raise DataError(f'{where}: {exc}') from exc
            if order is None:
                order = names
            if msgtype == FLOAT64_ARRAY and values.size != len(order):
                raise DataError(f'{where}: {values.size} values, earlier messages had '
                                f'{len(order)}')
            rows.append(_reorder(names, values, order, where))
            times.append(t)
        if not rows:
            raise DataError(f'{bag.path}: topic {topic} has no messages')
    t = np.asarray(times)
    x = np.vstack(rows)
    if not np.all(np.isfinite(x)):
        raise DataError(f'{Path(path)}: topic {topic}: actions contain NaN or inf')
    idx = np.argsort(t, kind='stable')
    return t[idx], x[idx], tuple(order), topic
