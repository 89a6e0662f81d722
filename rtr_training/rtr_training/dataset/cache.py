"""On-disk cache of aligned episodes: decoding images from a bag is the slow part of a pass.

One ``.npz`` per (bag, contract), keyed by the bag's path, size and modification time and
the contract's hash, so a re-recorded bag or an edited contract is read again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from rtr_core.atomic import atomic_path
from rtr_core.policy import ObservationContract

from .episode import Episode, read_episode

CACHE_VERSION = 1
_ARRAYS = ('times', 'actions', 'joint_positions', 'wrench', 'frames', 'frame_index')


def default_cache_dir() -> Path:
    """``$RTR_CACHE_DIR`` or ``~/.cache/rtr``, then ``policy_dataset``."""
    root = os.environ.get('RTR_CACHE_DIR') or Path.home() / '.cache' / 'rtr'
    return Path(root) / 'policy_dataset'


def _key(bag: Path, contract: ObservationContract) -> str:
    stats = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(bag.iterdir())
             if f.is_file()]
    text = repr((CACHE_VERSION, str(bag.resolve()), stats, contract.hash))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load_episode(bag: str | Path, contract: ObservationContract,
                 cache_dir: str | Path | None = None) -> Episode:
    """The aligned episode of ``bag``, from the cache when it is there (``cache_dir=None``:
    :func:`default_cache_dir`)."""
    bag = Path(bag)
    path = Path(cache_dir or default_cache_dir()) / f'{bag.name}-{_key(bag, contract)}.npz'
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: (data[k] if k in data.files else None) for k in _ARRAYS}
            return Episode(source=str(bag), joint_names=tuple(data['joint_names'].tolist()),
                           **arrays)
    episode = read_episode(bag, contract)
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        np.savez(f, joint_names=np.asarray(episode.joint_names),
                 **{k: getattr(episode, k) for k in _ARRAYS if getattr(episode, k) is not None})
    return episode
