"""The executor's published state: the ROS-free twin of ``rtr_msgs/msg/ExecutorState``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODE_IDLE = 0
MODE_EXECUTING = 1
MODE_HOLDING = 2


@dataclass(frozen=True)
class ExecutorState:
    stamp: float
    tick: int
    control_period: float
    joint_names: tuple[str, ...]
    position: np.ndarray
    velocity: np.ndarray
    planned_actions_left: int
    chunk_id: int
    last_received_chunk_id: int
    inference_requested: bool
    strategy: str
    mode: int = MODE_IDLE
    chunks_accepted: int = 0
    chunks_rejected: int = 0
    clamped_ticks: int = 0
    clipped_chunks: int = 0  # accepted chunks with positions outside the joint limits (clipped)
    stall_ticks: int = 0
    late_merges: int = 0  # chunks merged after their splice tick had run (real time)
    last_rejection_reason: str = ''
    last_rejected_chunk_id: int = 0  # so the policy side knows its chunk will not run
