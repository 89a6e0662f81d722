"""Expert demonstrations recorded as rosbag2 files (one per episode)."""

from .dataset import read_episode_metadata, record_dataset
from .episode import (
    EPISODE_KEY,
    WRENCH_FRAME,
    RecordConfig,
    episode_name,
    episode_seed,
    record_episode,
)

__all__ = ['EPISODE_KEY', 'WRENCH_FRAME', 'RecordConfig', 'episode_name', 'episode_seed',
           'read_episode_metadata', 'record_dataset', 'record_episode']
