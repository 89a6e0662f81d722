"""Closed-loop simulation in simulated or real time."""

from .config import RunnerConfig
from .observation import CameraIntrinsics, TickObservation
from .runner import SimRunner
from .world import build_model

__all__ = ['CameraIntrinsics', 'RunnerConfig', 'SimRunner', 'TickObservation', 'build_model']
