"""Trajectories for training: from rosbag2 recordings or .npz files, at one fixed rate."""

from .load import load_trajectories
from .mixes import mix_trajectories
from .resample import resample
from .trajectory import DataError, Trajectory
from .windows import WindowSet, split_by_trajectory

__all__ = [
    'DataError',
    'Trajectory',
    'WindowSet',
    'load_trajectories',
    'mix_trajectories',
    'resample',
    'split_by_trajectory',
]
