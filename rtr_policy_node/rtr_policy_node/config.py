"""Parameters of the rtr_policy node: one typed config, no ROS needed to read it.

Where chunks come from is ``source`` (rtr_core.sources): ``rtr`` (our checkpoint),
``openpi`` (a remote openpi policy server, parameters ``openpi.*``) or ``plugin`` (an
entry point in group ``rtr.policies``, parameters ``plugin.*``). For ``rtr`` the inputs and
their topics come from the observation contract stored in the checkpoint; the ``*_topic``
parameters override its topic names ('' keeps them; the defaults of rtr_core.topics for the
other sources).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rtr_core.errors import RtrError
from rtr_core.executor.config import TriggerConfig
from rtr_core.sources import ChunkSource, OpenpiConfig, PluginConfig
from rtr_core.topics import TOPICS

NODE_NAME = 'rtr_policy'


@dataclass(frozen=True)
class PolicyNodeConfig:
    source: Literal['rtr', 'openpi', 'plugin'] = 'rtr'
    policy_checkpoint: str = ''  # source rtr: from `rtr train policy`; required
    # latent policies: '' = the VAE path stored in the rtr checkpoint; openpi / plugin
    # sources that reply with latents decode them with this VAE
    vae_checkpoint: str = ''
    openpi: OpenpiConfig = field(default_factory=OpenpiConfig)
    plugin: PluginConfig = field(default_factory=PluginConfig)
    # torch threads of the inference worker: 1, or the first predict takes 0.6-2.6 s (2 cores)
    inference_threads: int = 1
    # configure predicts once from a blank observation (twice with rtc) and drops the chunk,
    # so the first chunk does not pay for first calls (a JAX server compiling: 10 s and more)
    warm_up: bool = True
    # executor: follow ExecutorState.inference_requested (the executor's trigger rule);
    # threshold / after_result / sync: apply that rule here to planned_actions_left.
    trigger: Literal['executor', 'threshold', 'after_result', 'sync'] = 'executor'
    threshold: int = 24
    rtc: bool = False  # real-time chunking: guide each chunk toward the previous remainder
    stale_after: float = 0.5  # s: an input older than this stops inference (with a warning)
    # source rtr: -1 samples fresh noise; n >= 0 samples chunk k (from 0) with seed n + k, as
    # `rtr eval open-loop --seed n` does (reproducible bag-replay evaluation)
    seed: int = -1
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
    """What the node needs, built ROS-free: the chunk source and its input topics."""

    source: ChunkSource
    inputs: tuple[str, ...]  # enabled inputs: image, joint_positions, wrench
    topics: dict[str, str]  # input name -> topic
    image_size: tuple[int, int] | None  # frames fitted to it; None: the source resizes
    warm_up_s: tuple[float, ...] = ()  # seconds of each warm-up call (none: warm_up false)


def load_policy(config: PolicyNodeConfig) -> PolicySetup:
    """The configured chunk source (raises an RtrError naming the parameter, the file or the
    unreachable server, so the node stays unconfigured)."""
    import torch

    from rtr_core.sources import make_source

    if config.source == 'rtr' and not config.policy_checkpoint:
        raise RtrError(f'{NODE_NAME}: parameter policy_checkpoint is empty; give the .pt '
                       'written by rtr train policy')
    if config.seed >= 0 and config.source != 'rtr':
        raise RtrError(f'{NODE_NAME}: seed {config.seed} is set but source {config.source} '
                       'does not sample here; set seed -1')
    torch.set_num_threads(config.inference_threads)
    source = make_source(config.source, checkpoint=config.policy_checkpoint,
                         vae=config.vae_checkpoint, openpi=config.openpi, plugin=config.plugin)
    if config.seed >= 0:
        source.seed = config.seed  # RtrSource: call k samples with seed + k
    if config.rtc and not source.supports_rtc:
        source.close()
        raise RtrError(f'{NODE_NAME}: rtc is true but source {config.source} does not support '
                       'real-time chunking guidance; set rtc false')
    warm_up = ()
    if config.warm_up:
        try:
            warm_up = tuple(source.warm_up(rtc=config.rtc))
        except RtrError as exc:
            source.close()
            raise RtrError(f'{NODE_NAME}: the warm-up (one predict from a blank observation, '
                           f'parameter warm_up) failed: {exc}; fix the source or set warm_up '
                           'false') from exc
    defaults = {'image': TOPICS.camera_image, 'joint_positions': TOPICS.joint_states,
                'wrench': TOPICS.wrench}
    if config.source == 'rtr':
        contract = source.policy.contract
        defaults = {name: getattr(contract, name).topic for name in contract.inputs}
    overrides = {'image': config.image_topic, 'joint_positions': config.joint_states_topic,
                 'wrench': config.wrench_topic}
    topics = {name: overrides[name] or defaults[name] for name in source.inputs}
    return PolicySetup(source, source.inputs, topics, source.image_size, warm_up)


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
    # 0: ask for a chunk as soon as the previous one arrived; n: every n ticks from the first
    # recorded action (the plan ticks of `rtr eval open-loop --stride n`)
    stride: int = 0
    bag: str = ''  # the replayed bag: if set, refused at start unless it has action_topic
