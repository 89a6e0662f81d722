"""Policy training samples from rosbag2 recordings and LeRobot datasets, read through an
observation contract.

``PolicyDataset.from_paths(paths, contract)`` aligns every input to the commanded action stream
at the control rate (lower-rate camera frames matched by timestamp), caches each source's
aligned arrays on disk after the first pass, and serves (observation, next H actions) batches.
"""

from ..data.lerobot import LeRobotMapping
from .bags import find_bags
from .cache import default_cache_dir, load_episode
from .episode import Episode, read_episode
from .samples import PolicyDataset

__all__ = ['Episode', 'LeRobotMapping', 'PolicyDataset', 'default_cache_dir', 'find_bags',
           'load_episode', 'read_episode']
