"""The demo's configuration: data, training, latency model, the runs compared, real time.

Defaults are the full demo (``make demo``); ``rtr_bringup/config/demo*.yaml`` hold only what
differs (e.g. the tiny configuration the tests run). Every field is checked on load and an
error names the field and what was expected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from rtr_core.boundary import STRATEGIES
from rtr_core.config import ConfigError, from_dict, load_yaml, to_dict
from rtr_core.executor.config import BoundaryConfig
from rtr_core.policy import PolicyConfig
from rtr_core.vae import VAEConfig
from rtr_training.policy import TrainPolicyConfig
from rtr_training.vae import VAETrainingConfig

#: The policies the demo trains, by the name runs refer to them with.
POLICIES = {
    'latent_60hz': {'name': 'latent_diffusion'},
    'action_60hz': {'name': 'action_diffusion', 'action_rate_hz': 60.0},
    'action_15hz': {'name': 'action_diffusion', 'action_rate_hz': 15.0},
}
#: How a 15 Hz chunk reaches the 60 Hz executor: ``hold`` = each action is a waypoint held for
#: its 1/15 s (a 15 Hz position controller: stop-and-go), ``linear``/``cubic`` = upsampled by
#: the policy, ``none`` = the policy's own rate (60 Hz policies).
EXECUTIONS = ('none', 'hold', 'linear', 'cubic')


@dataclass(frozen=True)
class DataConfig:
    """Expert demonstrations for training and the held-out episodes of the evaluation.

    The write task draws from ``shapes``; held-out episodes use seeds no training episode uses
    (another human demonstration of the shape, another speed, offset and rotation).
    """

    task: str = 'write'
    shapes: tuple[str, ...] = ('CShape', 'Sshape')
    offset: float = 0.0  # +- metres of random shift of the shape
    rotation: float = 0.0  # +- degrees of random rotation
    train_episodes: int = 40
    seed: int = 0
    eval_episodes: int = 24
    eval_seed: int = 1000
    workers: int = 2

    def __post_init__(self) -> None:
        if self.task != 'write':
            raise ConfigError(f'demo data.task={self.task!r}: expected write (the demo policies '
                              f'are trained on the write task)')
        if self.train_episodes < 2 or self.eval_episodes < 1:
            raise ConfigError('demo data: expected train_episodes >= 2 and eval_episodes >= 1')
        if self.eval_seed == self.seed:
            raise ConfigError(f'demo data.eval_seed={self.eval_seed}: expected a seed other than '
                              f'data.seed, so that evaluation episodes are held out')


@dataclass(frozen=True)
class TrainingConfig:
    """The VAE and the three policies; ``policy.policy.name``/``action_rate_hz`` are set per
    policy (see :data:`POLICIES`)."""

    vae: VAEConfig = field(default_factory=VAEConfig)
    vae_training: VAETrainingConfig = field(
        default_factory=lambda: VAETrainingConfig(steps=1500, eval_every=500, progress=False))
    policy: TrainPolicyConfig = field(default_factory=lambda: TrainPolicyConfig(
        policy=PolicyConfig(down_dims=(32, 64, 128)), steps=8000, batch_size=64,
        eval_every=1000, threads=1))
    # policy trainings run at once (one torch thread each): 3 on 2 cores finish sooner than
    # 2 then 1, and the result does not depend on it (not part of the artifact keys)
    processes: int = 3

    def __post_init__(self) -> None:
        if self.processes < 1:
            raise ConfigError(f'demo training.processes={self.processes}: expected >= 1')

    def policy_config(self, name: str) -> TrainPolicyConfig:
        import dataclasses

        spec = POLICIES[name]
        return dataclasses.replace(self.policy,
                                   policy=dataclasses.replace(self.policy.policy, **spec))


@dataclass(frozen=True)
class LatencyConfig:
    """Observation-to-chunk latency of asynchronous inference, drawn per chunk (uniform)."""

    low: float = 0.15  # seconds
    high: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ConfigError(f'demo latency: expected 0 <= low <= high seconds, got '
                              f'{self.low}, {self.high}')


@dataclass(frozen=True)
class RunConfig:
    """One configuration of the comparison: a policy, how its chunks are executed, the
    boundary strategy and the trigger (``sync``: infer only when the chunk is done).

    ``boundary`` overrides fields of the deployed executor's ``BoundaryConfig`` for this run
    only (e.g. ``{anchor: true}`` for ``rtr_paper`` + anchor, ``{blend_ticks: 10}``).
    """

    name: str
    policy: str = 'latent_60hz'
    execution: str = 'none'
    strategy: str = 'rtr'
    trigger: str = 'threshold'
    rtc: bool = False  # real-time chunking: guide the policy toward the previous chunk
    boundary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # strict: an unknown field or a wrong type names the run and the field
        checked = from_dict(BoundaryConfig, self.boundary, f'demo run {self.name}',
                            prefix='boundary')
        object.__setattr__(self, 'boundary', {k: getattr(checked, k) for k in self.boundary})
        if self.policy not in POLICIES:
            raise ConfigError(f'demo run {self.name}: policy={self.policy!r}; expected one of '
                              f'{", ".join(POLICIES)}')
        if self.execution not in EXECUTIONS:
            raise ConfigError(f'demo run {self.name}: execution={self.execution!r}; expected '
                              f'one of {", ".join(EXECUTIONS)}')
        if self.execution != 'none' and self.policy != 'action_15hz':
            raise ConfigError(f'demo run {self.name}: execution={self.execution!r} applies to '
                              f'the 15 Hz policy only')
        if self.strategy not in STRATEGIES:
            raise ConfigError(f'demo run {self.name}: strategy={self.strategy!r}; expected one '
                              f'of {", ".join(STRATEGIES)}')
        if self.trigger not in ('threshold', 'sync'):
            raise ConfigError(f'demo run {self.name}: trigger={self.trigger!r}; expected '
                              f'threshold or sync')

    @property
    def asynchronous(self) -> bool:
        return self.trigger != 'sync'


DEFAULT_RUNS = (
    RunConfig('15hz_stop_and_go', 'action_15hz', 'hold', 'sync', 'sync'),
    RunConfig('15hz_interpolated', 'action_15hz', 'cubic', 'sync', 'sync'),
    RunConfig('direct_60hz', 'action_60hz', 'none', 'sync', 'sync'),
    RunConfig('latent_60hz', 'latent_60hz', 'none', 'sync', 'sync'),
    RunConfig('naive', strategy='naive'),
    RunConfig('weighted_average', strategy='weighted_average'),
    RunConfig('temporal_ensemble', strategy='temporal_ensemble'),
    RunConfig('rtc', strategy='naive', rtc=True),
    RunConfig('anchor', strategy='anchor'),
    RunConfig('rtr_paper', strategy='rtr_paper'),
    RunConfig('rtr_paper_anchor', strategy='rtr_paper', boundary={'anchor': True}),
    RunConfig('rtr', strategy='rtr'),
    # the direct 60 Hz policy's jittery chunks under asynchronous inference: where the VAE's
    # projection does what the anchor cannot
    RunConfig('direct_60hz_anchor', 'action_60hz', strategy='anchor'),
    RunConfig('direct_60hz_rtr', 'action_60hz', strategy='rtr'),
)


@dataclass(frozen=True)
class RealTimeConfig:
    """``rtr demo --real-time`` (real threads on the wall clock) and ``rtr demo --ros`` (three
    processes over ROS 2): one run, on the first ``episodes`` held-out episodes.

    ``draws``: ``--ros`` runs each episode in process this many times, with different
    sampling noise (the policy samples its chunks): one draw of one episode can trace 2 mm or
    12 mm off, so the graph's single draw is compared against the mean of several, with the
    draw-to-draw spread beside it."""

    run: str = 'rtr'
    episodes: int = 1
    draws: int = 4

    def __post_init__(self) -> None:
        if self.episodes < 1:
            raise ConfigError(f'demo real_time.episodes={self.episodes}: expected >= 1')
        if self.draws < 1:
            raise ConfigError(f'demo real_time.draws={self.draws}: expected >= 1')


@dataclass(frozen=True)
class DemoConfig:
    name: str = 'demo'
    runs_dir: str = 'runs'
    checkpoints: str = 'checkpoints/demo'  # committed artifacts, reused when their key matches
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    latency: LatencyConfig = field(default_factory=LatencyConfig)
    runs: tuple[RunConfig, ...] = DEFAULT_RUNS
    trigger_threshold: int = 24  # async: infer when planned actions left <= this
    # RTC guides the new chunk over this many actions: the overlap with the previous chunk
    # when inference starts (LeRobot's default of 10 is shorter than our 0.2 s delay)
    rtc_execution_horizon: int = 24
    window_duration: float = 0.3  # seconds of plan in each JTC window
    extra_time: float = 1.0  # seconds an episode runs past the expert's duration
    open_loop_stride: int = 24  # ticks between the observations of the open-loop evaluation
    real_time: RealTimeConfig = field(default_factory=RealTimeConfig)
    seed: int = 0  # sampling noise of the policies
    # closed-loop runs simulated at once (one process and one torch thread each; the
    # results do not depend on it)
    processes: int = 2

    def __post_init__(self) -> None:
        if self.processes < 1:
            raise ConfigError(f'demo processes={self.processes}: expected >= 1')
        names = [r.name for r in self.runs]
        if not names or len(set(names)) != len(names):
            raise ConfigError(f'demo runs: expected unique run names, got {names}')
        if self.real_time.run not in names:
            raise ConfigError(f'demo real_time.run={self.real_time.run!r}: expected one of the '
                              f'runs ({", ".join(names)})')

    def run(self, name: str) -> RunConfig:
        return next(r for r in self.runs if r.name == name)

    @classmethod
    def load(cls, path) -> DemoConfig:
        return load_yaml(cls, path)


def artifact_key(*parts) -> str:
    """Content key of a trained artifact: the configs (plain data) that produce it."""
    text = json.dumps([to_dict(p) if not isinstance(p, (str, dict, list)) else p
                       for p in parts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def vae_key(config: DemoConfig) -> str:
    data = config.data
    return artifact_key('vae', _data_part(data), config.training.vae,
                        config.training.vae_training)


def policy_key(config: DemoConfig, name: str) -> str:
    """The latent policy's key includes its VAE's; the action-space policies do not use it."""
    vae = vae_key(config) if POLICIES[name]['name'] == 'latent_diffusion' else None
    return artifact_key('policy', name, _data_part(config.data), {'vae': vae},
                        config.training.policy_config(name))


def _data_part(data: DataConfig) -> dict:
    """What in the data config changes the training data (not the evaluation episodes)."""
    return {'task': data.task, 'shapes': list(data.shapes), 'offset': data.offset,
            'rotation': data.rotation, 'episodes': data.train_episodes, 'seed': data.seed}


__all__ = ['DEFAULT_RUNS', 'EXECUTIONS', 'POLICIES', 'DataConfig', 'DemoConfig', 'LatencyConfig',
           'PolicyConfig', 'RealTimeConfig', 'RunConfig', 'TrainingConfig', 'policy_key',
           'vae_key']
