"""One entry point from user paths (bags and .npz files) to trajectories at one rate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .bag import read_bag_actions
from .lerobot import frame_times, is_lerobot, read_lerobot_actions
from .npz import read_npz_actions
from .resample import resample
from .trajectory import DataError, Trajectory


def _segments(times: np.ndarray, actions: np.ndarray, max_gap: float):
    """Split where the recording pauses longer than ``max_gap``; drop duplicate stamps (the
    later message wins, as a newer command replaces an older one)."""
    keep = np.append(np.diff(times) > 0, True)
    times, actions = times[keep], actions[keep]
    cuts = np.flatnonzero(np.diff(times) > max_gap) + 1
    return zip(np.split(times, cuts), np.split(actions, cuts), strict=True)


def _select(names: tuple[str, ...], joints: Sequence[str] | None, path: Path, feature: str):
    if not joints:
        return names, list(range(len(names)))
    missing = [j for j in joints if j not in names]
    if missing:
        raise DataError(f'{path}: feature {feature} has no columns {missing}; its names: '
                        f'{", ".join(names)}')
    return tuple(joints), [names.index(j) for j in joints]


def load_trajectories(paths: Iterable[str | Path], dt: float = 1.0 / 60.0,
                      topic: str | None = None, joints: Sequence[str] | None = None,
                      method: str = 'cubic', max_gap: float = 0.5) -> list[Trajectory]:
    """Every trajectory in ``paths`` resampled to period ``dt``.

    A path is a rosbag2 folder (actions from ``topic``; see :mod:`.bag`), a ``.npz`` file
    (see :mod:`.npz`) or a LeRobot dataset folder (one trajectory per episode from the
    feature ``topic``, default ``action``, at the dataset's fps; see :mod:`.lerobot`). A bag
    is split into several trajectories where it pauses longer than ``max_gap`` seconds. All
    trajectories must have the same action names; ``joints`` selects and orders columns by
    name (bag joints, LeRobot feature names).
    """
    paths = list(paths)
    out: list[Trajectory] = []
    for path in paths:
        path = Path(path)
        if path.suffix == '.npz':
            file_dt, arrays, names = read_npz_actions(path)
            for key, a in arrays.items():
                if a.shape[0] < 2:
                    raise DataError(f'{path}: key {key}: needs at least 2 samples')
                x = a if abs(file_dt - dt) < 1e-9 else resample(
                    file_dt * np.arange(a.shape[0]), a, dt, method)
                names_k = names or tuple(f'a{i}' for i in range(a.shape[1]))
                out.append(Trajectory(x, dt, names_k, f'{path}:{key}'))
        elif is_lerobot(path):
            fps, episodes, names, used = read_lerobot_actions(path, topic)
            names, columns = _select(names, joints, path, used)
            for key, (t, x) in episodes.items():
                x = x[:, columns]
                if t.size < 2:
                    raise DataError(f'{path}: {key}: needs at least 2 frames')
                out.append(Trajectory(resample(frame_times(t, fps), x, dt, method), dt, names,
                                      f'{path}:{used}:{key}'))
        elif path.is_dir():
            times, actions, names, used = read_bag_actions(path, topic, joints)
            for t, x in _segments(times, actions, max_gap):
                if t.size >= 2:
                    out.append(Trajectory(resample(t, x, dt, method), dt, names,
                                          f'{path}:{used}'))
        else:
            raise DataError(f'{path}: neither a rosbag2 folder nor a .npz file')
    if not out:
        raise DataError('no trajectories in ' + ', '.join(str(p) for p in paths))
    first = out[0]
    for traj in out[1:]:
        if traj.names != first.names:
            raise DataError(f'{traj.source}: action names {", ".join(traj.names)} differ from '
                            f'{first.source}: {", ".join(first.names)}')
    return out
