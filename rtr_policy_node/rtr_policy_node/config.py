"""Parameters of the rtr_policy node: one typed config, no ROS needed to read it.

Which inputs the policy takes, and from which topics, is the observation contract stored in
the policy checkpoint; the ``*_topic`` parameters override its topic names ('' keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rtr_core.errors import RtrError
from rtr_core.executor.config import TriggerConfig
from rtr_core.topics import TOPICS

NODE_NAME = 'rtr_policy'


@dataclass(frozen=True)
class PolicyNodeConfig:
    policy_checkpoint: str = ''  # from `rtr train policy`; required
    vae_checkpoint: str = ''  # latent policies: '' = the VAE path stored in the checkpoint
    # torch threads of the inference worker: 1, or the first predict takes 0.6-2.6 s (2 cores)
    inference_threads: int = 1
    # executor: follow ExecutorState.inference_requested (the executor's trigger rule);
    # threshold / after_result / sync: apply that rule here to planned_actions_left.
    trigger: Literal['executor', 'threshold', 'after_result', 'sync'] = 'executor'
    threshold: int = 24
    rtc: bool = False  # real-time chunking: guide each chunk toward the previous remainder
    stale_after: float = 0.5  # s: an input older than this stops inference (with a warning)
    image_topic: str = ''
    joint_states_topic: str = ''
    wrench_topic: str = ''
    action_chunk_topic: str = TOPICS.action_chunk
    executor_state_topic: str = TOPICS.executor_state
    diagnostics_period: float = 1.0

    def trigger_config(self) -> TriggerConfig | None:
        if self.trigger == 'executor':
            return None
        return TriggerConfig(mode=self.trigger, threshold=self.threshold)


@dataclass(frozen=True)
class PolicySetup:
    """What the node needs, built ROS-free: the loaded policy and its input topics."""

    policy: object
    inputs: tuple[str, ...]  # enabled inputs: image, joint_positions, wrench
    topics: dict[str, str]  # input name -> topic
    image_size: tuple[int, int] | None


def load_policy(config: PolicyNodeConfig) -> PolicySetup:
    import torch

    from rtr_core.policy import Policy

    if not config.policy_checkpoint:
        raise RtrError(f'{NODE_NAME}: parameter policy_checkpoint is empty; give the .pt '
                       'written by rtr train policy')
    torch.set_num_threads(config.inference_threads)
    policy = Policy.load(config.policy_checkpoint, vae=config.vae_checkpoint or None)
    contract = policy.contract
    overrides = {'image': config.image_topic, 'joint_positions': config.joint_states_topic,
                 'wrench': config.wrench_topic}
    topics = {name: overrides[name] or getattr(contract, name).topic
              for name in contract.inputs}
    size = None if contract.image is None else (contract.image.height, contract.image.width)
    return PolicySetup(policy, contract.inputs, topics, size)


EVALUATOR_NODE_NAME = 'rtr_openloop_evaluator'


@dataclass(frozen=True)
class OpenLoopEvaluatorConfig:
    """Parameters of the open-loop evaluator (openloop_eval.launch.py)."""

    out_dir: str = 'runs/openloop'  # metrics.md, metrics.json, open_loop.png
    action_topic: str = TOPICS.joint_trajectory  # the recorded actions in the replayed bag
    action_chunk_topic: str = TOPICS.action_chunk
    executor_state_topic: str = TOPICS.executor_state  # the evaluator triggers the policy
    control_period: float = 1.0 / 60.0
    policy_name: str = 'policy'  # row name in the report
