"""On-disk cache of aligned episodes: decoding images (from a bag's messages or a LeRobot
dataset's PNGs) is the slow part of a pass.

One ``.npz`` per (source, contract), keyed by the source's path, the size and modification
time of its files and the contract's hash (plus, for LeRobot, the feature mapping), so a
re-recorded bag, an edited dataset or another contract is read again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from rtr_core.atomic import atomic_path
from rtr_core.policy import ObservationContract

from .episode import Episode, read_episode

CACHE_VERSION = 2
_ARRAYS = ('times', 'actions', 'joint_positions', 'wrench', 'frames', 'frame_index')


def default_cache_dir() -> Path:
    """``$RTR_CACHE_DIR`` or ``~/.cache/rtr``, then ``policy_dataset``."""
    root = os.environ.get('RTR_CACHE_DIR') or Path.home() / '.cache' / 'rtr'
    return Path(root) / 'policy_dataset'


def cached_episodes(source: Path, files: Iterable[Path], settings: object,
                    read: Callable[[], list[Episode]],
                    cache_dir: str | Path | None = None) -> list[Episode]:
    """``read()``, or what it returned before for the same ``files`` (path, size, modification
    time) and ``settings`` (``cache_dir=None``: :func:`default_cache_dir`)."""
    stats = [(str(f.relative_to(source)), f.stat().st_size, f.stat().st_mtime_ns)
             for f in sorted(files)]
    text = repr((CACHE_VERSION, str(source.resolve()), stats, settings))
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    path = Path(cache_dir or default_cache_dir()) / f'{source.name}-{key}.npz'
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return [Episode(source=str(data[f'{i}.source']),
                            joint_names=tuple(data[f'{i}.joint_names'].tolist()),
                            **{k: (data[f'{i}.{k}'] if f'{i}.{k}' in data.files else None)
                               for k in _ARRAYS})
                    for i in range(int(data['count']))]
    episodes = read()
    arrays = {'count': np.asarray(len(episodes))}
    for i, ep in enumerate(episodes):
        arrays[f'{i}.source'] = np.asarray(ep.source)
        arrays[f'{i}.joint_names'] = np.asarray(ep.joint_names)
        arrays.update({f'{i}.{k}': getattr(ep, k) for k in _ARRAYS
                       if getattr(ep, k) is not None})
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        np.savez(f, **arrays)
    return episodes


def load_episode(bag: str | Path, contract: ObservationContract,
                 cache_dir: str | Path | None = None) -> Episode:
    """The aligned episode of ``bag``, from the cache when it is there."""
    bag = Path(bag)
    files = [f for f in bag.iterdir() if f.is_file()]
    return cached_episodes(bag, files, contract.hash, lambda: [read_episode(bag, contract)],
                           cache_dir)[0]
