"""Parameters of the rtr_chunk_executor node: one typed config, no ROS needed to read it.

The node declares its ROS parameters from :func:`rtr_core.config.flatten` of the defaults and
builds this dataclass back from the values it received; ``config/rtr_nodes.yaml`` is
validated against it in the tests. Everything the node calls is built here, ROS-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rtr_core.errors import RtrError
from rtr_core.executor.config import ExecutorConfig
from rtr_core.realtime import RealtimeConfig
from rtr_core.topics import Topics

NODE_NAME = 'rtr_chunk_executor'

#: Parameters the node refuses to configure without: the robot's joints and safety limits
#: (config/rtr_nodes.yaml gives them; the dataclass defaults are no robot's).
REQUIRED_PARAMETERS = tuple(f'executor.{name}' for name in (
    'joint_names', 'safety.position_lower', 'safety.position_upper', 'safety.max_velocity',
    'safety.max_acceleration', 'safety.max_jerk'))


@dataclass(frozen=True)
class ExecutorNodeConfig:
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    # VAE checkpoint from `rtr train vae`; required by the rtr and rtr_paper strategies.
    vae_checkpoint: str = ''
    # jtc: a window of positions + velocities every tick to joint_trajectory_controller;
    # forward: one position per tick to a forward position controller.
    output_mode: Literal['jtc', 'forward'] = 'jtc'
    topics: Topics = field(default_factory=Topics)
    torch_threads: int = 1  # the refinement runs beside a 60 Hz loop: keep it at 1
    joint_state_timeout: float = 5.0  # s without /joint_states after activation: error
    diagnostics_period: float = 1.0  # s between /diagnostics messages
    # the 60 Hz loop's process and thread: GIL switch interval, gc.freeze, SCHED_FIFO priority
    realtime: RealtimeConfig = field(default_factory=RealtimeConfig)


def build_executor(config: ExecutorNodeConfig):
    """The rtr_core executor the node wraps (loads the VAE when the strategy refines; torch
    is imported only then, so a robot PC running a baseline needs none)."""
    from rtr_core.executor.executor import ChunkExecutor

    vae = None
    if config.vae_checkpoint:
        import torch

        from rtr_core.vae import ActionVAE

        torch.set_num_threads(config.torch_threads)
        vae = ActionVAE.load(config.vae_checkpoint)
    try:
        return ChunkExecutor(config.executor, action_vae=vae)
    except RtrError as exc:
        raise RtrError(f'{NODE_NAME}: {exc} (vae_checkpoint: {config.vae_checkpoint!r})') \
            from exc
