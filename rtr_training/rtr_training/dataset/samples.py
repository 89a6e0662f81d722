"""Training samples: the observation at a tick and the next H commanded actions.

All episodes are concatenated; ``index`` (N, H) holds the rows of each sample's action window
(past an episode's end the last action repeats: the robot holds), so a batch is a gather in
numpy with no per-sample Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rtr_core.policy import Observation, ObservationContract

from ..data import DataError
from ..data.lerobot import is_lerobot
from .bags import find_bags
from .cache import load_episode
from .episode import Episode
from .lerobot import LeRobotMapping, load_lerobot, resolve


class PolicyDataset:
    def __init__(self, episodes: Sequence[Episode], horizon: int,
                 contract: ObservationContract):
        if not episodes:
            raise DataError('no episodes')
        names = episodes[0].joint_names
        for ep in episodes[1:]:
            if ep.joint_names != names:
                raise DataError(f'{ep.source}: joints {", ".join(ep.joint_names)} differ from '
                                f'{episodes[0].source} ({", ".join(names)})')
        self.episodes = list(episodes)
        self.horizon = horizon
        self.contract = contract.with_joint_names(names)
        self.joint_names = names
        self.actions = np.concatenate([e.actions for e in episodes])
        self.joint_positions = _cat([e.joint_positions for e in episodes])
        self.wrench = _cat([e.wrench for e in episodes])
        self.frames = _cat([e.frames for e in episodes])
        starts, rows, frame_rows, episode_of, stamps = [], [], [], [], []
        row = frame = 0
        for i, ep in enumerate(episodes):
            ticks = np.arange(ep.length - 1)  # every tick with at least one action after it
            window = np.minimum(ticks[:, None] + 1 + np.arange(horizon), ep.length - 1)
            rows.append(row + window)
            starts.append(row + ticks)
            if ep.frame_index is not None:
                frame_rows.append(frame + ep.frame_index[ticks])
                frame += len(ep.frames)
            episode_of.append(np.full(ticks.size, i))
            stamps.append(ep.times[ticks] - self.contract.control_dt)
            row += ep.length
        self.tick_rows = np.concatenate(starts)  # row of each sample's observation tick
        self.index = np.concatenate(rows)
        self.frame_rows = np.concatenate(frame_rows) if frame_rows else None
        self.episode_of = np.concatenate(episode_of)
        self.stamps = np.concatenate(stamps)  # observation (planning) time of each sample

    @classmethod
    def from_bags(cls, paths: Iterable[str | Path], contract: ObservationContract,
                  horizon: int, cache_dir: str | Path | None = None) -> PolicyDataset:
        bags = find_bags(paths)
        return cls([load_episode(b, contract, cache_dir) for b in bags], horizon, contract)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path], contract: ObservationContract | None,
                   horizon: int, cache_dir: str | Path | None = None,
                   lerobot: LeRobotMapping | None = None) -> PolicyDataset:
        """Episodes of rosbag2 folders (or folders of them) and LeRobot dataset folders
        (``meta/info.json``; see :mod:`.lerobot`). ``contract=None``: the default contract,
        or, with LeRobot datasets, one input per feature the first dataset maps."""
        paths = [Path(p) for p in paths]
        datasets = [p for p in paths if is_lerobot(p)]
        mapping = lerobot or LeRobotMapping()
        if contract is None:
            contract = (resolve(datasets[0], None, mapping)[0] if datasets
                        else ObservationContract())
        episodes: list[Episode] = []
        for p in paths:
            if p in datasets:
                _, features = resolve(p, contract, mapping)
                episodes += load_lerobot(p, contract, features, mapping.resample, cache_dir)
            else:
                episodes += [load_episode(b, contract, cache_dir) for b in find_bags([p])]
        return cls(episodes, horizon, contract)

    def __len__(self) -> int:
        return int(self.tick_rows.size)

    def windows(self, which=slice(None)) -> np.ndarray:
        """(B, H, J) next-H-action windows (the target of a chunk planned at the tick)."""
        return self.actions[self.index[which]]

    def inputs(self, which) -> dict[str, np.ndarray | None]:
        """Raw (unnormalised) observation arrays of samples ``which``."""
        rows = self.tick_rows[which]
        return {
            'image': None if self.frames is None else self.frames[self.frame_rows[which]],
            'joint_positions': (None if self.joint_positions is None
                                else self.joint_positions[rows]),
            'wrench': None if self.wrench is None else self.wrench[rows],
        }

    def observation(self, i: int) -> Observation:
        """Sample ``i`` as the observation a deployed policy would get."""
        x = self.inputs(np.array([i]))
        return Observation(stamp=float(self.stamps[i]),
                           **{k: (None if v is None else v[0]) for k, v in x.items()})

    def split(self, held_out: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Sample indices of (training, held-out) by episode, so no window is shared."""
        mask = np.isin(self.episode_of, np.asarray(held_out, dtype=int))
        return np.flatnonzero(~mask), np.flatnonzero(mask)


def _cat(parts):
    if any(p is None for p in parts):
        return None
    return np.concatenate(parts)
