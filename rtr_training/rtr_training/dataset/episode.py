"""One recording aligned to its control ticks: actions and the observation before each one.

Tick ``k`` is the commanded action ``actions[k]`` (the first point of a JointTrajectory
window, at its target time ``times[k]``). The observation a policy would have planned it from
is the latest message of each input stamped at or before ``times[k] - dt`` (the chunk
convention: action 0 is for the observation stamp plus one period). Ticks before every input
has produced a message are dropped; after that, an input older than its ``max_age_s`` at a
tick is a gap and an error naming the bag and the topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtr_core.bag import BagReader
from rtr_core.msgs import image_from_msg, joint_state_from_msg, wrench_from_msg
from rtr_core.policy import ObservationContract

from ..data import DataError
from ..data.bag import read_bag_actions

IMAGE = 'sensor_msgs/msg/Image'
JOINT_STATE = 'sensor_msgs/msg/JointState'
WRENCH = 'geometry_msgs/msg/WrenchStamped'


@dataclass(frozen=True)
class Episode:
    """Arrays of one bag; inputs the contract disables are None."""

    source: str
    joint_names: tuple[str, ...]
    times: np.ndarray  # (T,) target time of each action
    actions: np.ndarray  # (T, J)
    joint_positions: np.ndarray | None  # (T, J)
    wrench: np.ndarray | None  # (T, 6)
    frames: np.ndarray | None  # (F, H, W, 3) uint8, each frame used by some tick
    frame_index: np.ndarray | None  # (T,) index into frames

    @property
    def length(self) -> int:
        return int(self.times.size)


def _stream(bag: BagReader, topic: str, msgtype: str, decode):
    bag.require(topic, msgtype)
    stamps, values = [], []
    for m in bag.messages([topic]):
        try:
            stamp, value = decode(m.msg)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f'{bag.path}: topic {topic} at t={m.time:.6f}s: {exc}') from exc
        stamps.append(stamp or m.time)
        values.append(value)
    if not stamps:
        raise DataError(f'{bag.path}: topic {topic} has no messages')
    order = np.argsort(np.asarray(stamps), kind='stable')
    return np.asarray(stamps)[order], [values[i] for i in order]


def _match(stamps: np.ndarray, at: np.ndarray, tolerance: float) -> np.ndarray:
    """Index of the latest stamp <= each ``at`` (+ tolerance for stamp jitter); -1 if none."""
    return np.searchsorted(stamps, at + tolerance, side='right') - 1


def _check_rate(path, topic: str, times: np.ndarray, dt: float, max_gap: float) -> None:
    if times.size < 2:
        raise DataError(f'{path}: topic {topic}: {times.size} actions, need at least 2')
    steps = np.diff(times)
    period = float(np.median(steps))
    if abs(period - dt) > 0.1 * dt:
        raise DataError(f'{path}: topic {topic}: actions every {period * 1e3:.2f} ms, expected '
                        f'the control period {dt * 1e3:.2f} ms (contract control_rate_hz)')
    worst = int(np.argmax(steps))
    if steps[worst] > max_gap:
        raise DataError(f'{path}: topic {topic}: gap of {steps[worst]:.3f} s after '
                        f't={times[worst]:.3f}s (contract action.max_gap_s={max_gap})')


def read_episode(path: str | Path, contract: ObservationContract) -> Episode:
    """Read and align one bag (no cache; see :func:`~.cache.load_episode`)."""
    path = Path(path)
    dt = contract.control_dt
    joints = contract.action.joint_names or None
    times, actions, names, topic = read_bag_actions(path, contract.action.topic, joints)
    _check_rate(path, topic, times, dt, contract.action.max_gap_s)
    plan_times = times - dt
    tolerance = 0.25 * dt
    inputs = {}
    with BagReader(path) as bag:
        if contract.joint_positions is not None:
            def joint_values(msg, where=contract.joint_positions.topic):
                stamp, msg_names, position, _ = joint_state_from_msg(msg)
                index = {n: i for i, n in enumerate(msg_names)}
                missing = [n for n in names if n not in index]
                if missing:
                    raise DataError(f'{bag.path}: topic {where}: joints {", ".join(missing)} '
                                    f'missing (message has {", ".join(msg_names)})')
                return stamp, position[[index[n] for n in names]]
            inputs['joint_positions'] = (contract.joint_positions,
                                         *_stream(bag, contract.joint_positions.topic,
                                                  JOINT_STATE, joint_values))
        if contract.wrench is not None:
            inputs['wrench'] = (contract.wrench,
                                *_stream(bag, contract.wrench.topic, WRENCH, wrench_from_msg))
        if contract.image is not None:
            spec = contract.image

            def frame(msg):
                img = image_from_msg(msg)
                if img.shape[:2] != (spec.height, spec.width):
                    raise DataError(f'{bag.path}: topic {spec.topic}: image '
                                    f'{img.shape[1]}x{img.shape[0]}, the contract expects '
                                    f'{spec.width}x{spec.height} (image.width/height)')
                return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9, img
            inputs['image'] = (spec, *_stream(bag, spec.topic, IMAGE, frame))
    matches = {k: _match(stamps, plan_times, tolerance) for k, (_, stamps, _) in inputs.items()}
    first = max(int(np.argmax(m >= 0)) if np.any(m >= 0) else times.size
                for m in matches.values())
    if first >= times.size - 1:
        raise DataError(f'{path}: inputs {", ".join(inputs)} never all present before the '
                        f'actions on {topic} end')
    out: dict[str, np.ndarray | None] = {'joint_positions': None, 'wrench': None,
                                          'image': None}
    frame_index = None
    for key, (spec, stamps, values) in inputs.items():
        idx = matches[key][first:]
        age = plan_times[first:] - stamps[idx]
        worst = int(np.argmax(age))
        if age[worst] > spec.max_age_s:
            raise DataError(f'{path}: topic {spec.topic}: no message for {age[worst]:.3f} s '
                            f'before t={plan_times[first + worst]:.3f}s (contract '
                            f'{key}.max_age_s={spec.max_age_s})')
        if key == 'image':
            used, frame_index = np.unique(idx, return_inverse=True)
            out['image'] = np.stack([values[i] for i in used]).astype(np.uint8)
        else:
            out[key] = np.stack(values)[idx].astype(np.float32)
    return Episode(
        source=str(path), joint_names=tuple(names), times=times[first:],
        actions=actions[first:].astype(np.float32), joint_positions=out['joint_positions'],
        wrench=out['wrench'], frames=out['image'],
        frame_index=None if frame_index is None else frame_index.astype(np.int32))
