"""The whole system in one process: policy + chunk executor + simulator, in simulated time.

Nothing here re-implements the timeline: every tick the :class:`ChunkExecutor` (the core the
ROS node wraps) receives the chunks that have arrived, ticks and returns the JTC window that
the :class:`SimRunner`'s JTC-like controller executes. The policy side applies the executor's
trigger rule; asynchronous inference is modelled by delivering each chunk ``latency`` seconds
after its observation (drawn per chunk from the latency model) while the robot keeps moving,
so a run is deterministic and as fast as the machine allows. The real-time variant with
threads is :mod:`.real_time`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtr_core.chunk import Chunk
from rtr_core.config import load_yaml
from rtr_core.errors import RtrError
from rtr_core.executor.config import ExecutorConfig, TriggerConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_EXECUTING
from rtr_core.executor.trigger import Trigger
from rtr_core.policy import Observation, Policy, RTCContext

from .config import DemoConfig, LatencyConfig, RunConfig
from .episode_bag import EpisodeBag

NODES_YAML = 'rtr_nodes.yaml'
EXECUTOR_KEY = 'rtr_chunk_executor.ros__parameters.executor'


def bringup_config(name: str) -> Path:
    """A file of ``rtr_bringup/config`` (source tree or installed share folder)."""
    import os

    here = Path(__file__).resolve().parents[2] / 'config' / name
    if here.is_file():
        return here
    for prefix in os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep):
        candidate = Path(prefix) / 'share' / 'rtr_bringup' / 'config' / name
        if prefix and candidate.is_file():
            return candidate
    raise FileNotFoundError(f'rtr_bringup config {name}: not in {here.parent} nor in '
                            f'share/rtr_bringup/config on AMENT_PREFIX_PATH')


def executor_config(run: RunConfig, config: DemoConfig, real_time: bool = False
                    ) -> ExecutorConfig:
    """The deployed executor configuration (bringup ``rtr_nodes.yaml``: joints, 60 Hz, the
    arm's limits) with this run's strategy, trigger and boundary overrides. In simulated time
    (not ``real_time``) a chunk is merged between two ticks in no time, so it takes over at
    the next tick (``splice_lead_ticks`` 1); in real time the deployed lead leaves its merge
    the time it takes."""
    base = load_yaml(ExecutorConfig, bringup_config(NODES_YAML), EXECUTOR_KEY)
    return dataclasses.replace(
        base, strategy=run.strategy, window_duration=config.window_duration,
        splice_lead_ticks=base.splice_lead_ticks if real_time else 1,
        trigger=TriggerConfig(run.trigger, config.trigger_threshold),
        boundary=dataclasses.replace(base.boundary, **run.boundary))


def run_policy(policy: Policy, run: RunConfig, rtc_execution_horizon: int = 0) -> Policy:
    """The policy as this run executes it: the 15 Hz network upsampled (linear/cubic) or at
    its own rate (``hold``), the same weights either way; with RTC, guided over
    ``rtc_execution_horizon`` actions (0: the policy's own setting)."""
    out = with_interpolation(policy, run.execution if run.execution in ('linear', 'cubic')
                             else 'none')
    if run.rtc and rtc_execution_horizon:
        out = _with_config(out, rtc_execution_horizon=rtc_execution_horizon)
    return out


def with_interpolation(policy: Policy, interpolation: str) -> Policy:
    """``policy`` with its low-rate output upsampled by ``interpolation`` (none, linear,
    cubic): the same network and weights, only the chunk it outputs differs."""
    return _with_config(policy, interpolation=interpolation)


def _with_config(policy: Policy, **changes) -> Policy:
    """The same network and weights under a policy config with ``changes`` (output-side
    settings only: interpolation, RTC guidance)."""
    if all(getattr(policy.config, k) == v for k, v in changes.items()):
        return policy
    out = Policy(dataclasses.replace(policy.config, **changes), policy.contract,
                 policy.normalisers, policy.vae)
    out.model.load_state_dict(policy.model.state_dict())
    return out


def hold_chunk(chunk: Chunk, period: float) -> Chunk:
    """A low-rate chunk as a position controller at that rate executes it: every action is a
    waypoint reached at its time and held until the next one (stop-and-go)."""
    factor = int(round(chunk.dt / period))
    if factor <= 1:
        return chunk
    return dataclasses.replace(chunk, dt=period,
                               positions=np.repeat(chunk.positions, factor, axis=0))


class LatencyModel:
    """Observation-to-arrival latency of one chunk, uniform in ``[low, high]`` seconds."""

    def __init__(self, config: LatencyConfig, seed: int = 0):
        self.config = config
        self._rng = np.random.default_rng([config.seed, seed])

    @property
    def expected(self) -> float:
        return 0.5 * (self.config.low + self.config.high)

    def sample(self) -> float:
        return float(self._rng.uniform(self.config.low, self.config.high))


@dataclass
class EpisodeLog:
    """What one closed-loop episode produced, tick by tick, plus its chunks and scores."""

    run: str
    seed: int
    params: dict
    success: bool
    task_metrics: dict
    t: np.ndarray  # (T,) tick times
    command: np.ndarray  # (T, J) executor command
    command_velocity: np.ndarray
    mode: np.ndarray
    spliced: np.ndarray
    clamped: np.ndarray
    measured: np.ndarray  # (T, J) joint state
    tip: np.ndarray  # (T, 3) tool tip (contact point), world, measured
    command_tip: np.ndarray  # (T, 3) forward kinematics of the command (uncompressed tip)
    contact_force: np.ndarray
    expert: np.ndarray  # (T, J) the scripted expert's joint plan at the same ticks
    expert_tip: np.ndarray  # (T, 3) the expert's tip plan at the same ticks
    reference: np.ndarray  # (N, 3) the shape on the board
    duration: float  # the expert's duration (the task's time)
    chunk_stamps: np.ndarray  # observation stamp of every chunk
    chunk_arrivals: np.ndarray
    chunk_starts: np.ndarray  # first tick time its plan executed (nan: never)
    inference_seconds: np.ndarray  # compute time of each prediction on this machine
    rejected: int
    bag: str = ''
    tick_chunk: np.ndarray | None = None  # (T,) chunk id whose plan made the command (0: none)
    chunk_ids: np.ndarray | None = None  # id of every delivered chunk
    chunk_ends: np.ndarray | None = None  # time of every delivered chunk's last action


class ClosedLoop:
    """Runs episodes of one configuration (policy, execution, strategy, trigger, RTC).

    ``source`` (a :class:`rtr_core.sources.ChunkSource`, e.g. an openpi server serving the
    same policy) replaces the in-process policy call; a source that has no chunk (server
    unreachable, reply rejected) is counted in ``failures`` and asked again at the next tick;
    ``source.reset()`` is called at the start of every episode.
    """

    def __init__(self, sim, policy: Policy, run: RunConfig, config: DemoConfig, vae=None,
                 source=None):
        self.sim = sim
        self.run = run
        self.config = config
        self.source = source
        self.failures: list[tuple[float, str]] = []
        self.policy = run_policy(policy, run, config.rtc_execution_horizon)
        self.executor = ChunkExecutor(executor_config(run, config, sim.config.realtime),
                                      action_vae=vae)
        self.trigger = Trigger(self.executor.config.trigger)
        self.period = self.executor.config.control_period
        if tuple(self.policy.joint_names) != tuple(sim.arm.joint_names):
            raise ValueError(f'policy joints {self.policy.joint_names} differ from the '
                             f'simulated arm {sim.arm.joint_names}')

    def episode(self, seed: int, bag_path: str | Path | None = None) -> EpisodeLog:
        from rtr_sim.experts import ScriptedExpert

        sim, ex = self.sim, self.executor
        obs = sim.reset(seed)
        episode = sim.episode
        expert = ScriptedExpert(sim.kinematics, episode, sim.config.control_rate)
        latency = LatencyModel(self.config.latency, seed)
        ex.reset()
        ex.start(obs.position, obs.stamp)
        if self.source is not None:
            self.source.reset()
        end = episode.duration + self.config.extra_time
        bag = (EpisodeBag(bag_path, sim.arm.joint_names, sim.camera_intrinsics)
               if bag_path is not None else None)
        image = obs.image
        in_flight: list[tuple[float, Chunk]] = []
        chunks: list[tuple[float, Chunk]] = []
        previous: Chunk | None = None
        compute = []
        rows = []
        with bag if bag is not None else contextlib.nullcontext():
            while True:
                t = obs.stamp
                image = obs.image if obs.image is not None else image
                if bag is not None:
                    bag.observation(obs)
                while in_flight and in_flight[0][0] <= t + 1e-9:
                    arrival, chunk = in_flight.pop(0)
                    ex.receive(chunk, arrival)
                    chunks.append((arrival, chunk))
                    if bag is not None:
                        bag.chunk(chunk, arrival)
                r = ex.tick(t)
                if r.window is not None:
                    sim.send_trajectory(r.window)
                    if bag is not None:
                        bag.window(r.window, t)
                if bag is not None:
                    bag.state(ex.state(), t)
                rows.append(r)
                if self.trigger.should_start(r.planned_actions_left, busy=bool(in_flight),
                                             received_any=bool(chunks)):
                    observation = Observation(
                        stamp=t, joint_positions=obs.position, image=image,
                        wrench=obs.wrench, joint_positions_stamp=t, wrench_stamp=t)
                    chunk = self._predict(observation, previous, latency, seed,
                                          len(chunks) + len(in_flight) + 1)
                    if chunk is not None:
                        compute.append(chunk.inference_duration)
                        previous = chunk
                        in_flight.append((t + latency.sample(), chunk))
                if t >= end - 1e-9:
                    break
                obs = sim.step_tick()
            result = sim.evaluate()
            trace = sim.trace()
            log = self.episode_log(seed, episode, expert, result, trace, rows, chunks, compute,
                            ex.rejections())
            if bag is not None:
                log.bag = str(bag.path)
                bag.metadata(_metadata(log, self.run))
        return log

    def _predict(self, observation: Observation, previous: Chunk | None,
                 latency: LatencyModel, seed: int, chunk_id: int) -> Chunk | None:
        rtc = None
        if self.run.rtc and previous is not None:
            start = observation.stamp + self.period
            if previous.times[-1] >= start:
                rtc = RTCContext.from_chunk(previous, start, previous.dt,
                                            math.ceil(latency.expected / previous.dt))
        if self.source is not None:
            try:
                chunk = self.source.predict(observation, rtc)
            except RtrError as exc:
                self.failures.append((observation.stamp, str(exc)))
                return None
        else:
            chunk = self.policy.predict(observation, rtc, seed=int(np.random.SeedSequence(
                [self.config.seed, seed, chunk_id]).generate_state(1)[0]))
        chunk = dataclasses.replace(chunk, chunk_id=chunk_id)
        if self.run.execution == 'hold':
            chunk = hold_chunk(chunk, self.period)
        return chunk

    def episode_log(self, seed, episode, expert, result, trace, rows, chunks, compute,
                    rejections) -> EpisodeLog:
        """The :class:`EpisodeLog` of an episode from the executor's tick results ``rows``,
        the delivered ``(arrival, chunk)`` pairs and the inference compute times."""
        t = np.array([r.time for r in rows])
        plan = expert.positions
        k = np.minimum(np.round(t / self.period).astype(int), len(plan) - 1)
        starts = {}
        for r in rows:
            if r.spliced and r.chunk_id not in starts:
                starts[r.chunk_id] = r.time
        n = min(len(rows), len(trace.times))
        command = np.array([r.position for r in rows])[:n]
        return EpisodeLog(
            run=self.run.name, seed=seed, params=dict(episode.params),
            success=bool(result.success), task_metrics=dict(result.metrics), t=t[:n],
            command=command, command_tip=self.sim.kinematics.tip_positions(command),
            command_velocity=np.array([r.velocity for r in rows])[:n],
            mode=np.array([r.mode for r in rows])[:n],
            spliced=np.array([r.spliced for r in rows])[:n],
            clamped=np.array([r.clamped for r in rows])[:n],
            measured=trace.position[:n], tip=trace.tip[:n],
            contact_force=trace.contact_force[:n], expert=plan[k][:n],
            expert_tip=self.sim.kinematics.tip_positions(plan[k][:n]),
            reference=np.asarray(episode.reference), duration=episode.duration,
            chunk_stamps=np.array([c.stamp for _, c in chunks]),
            chunk_arrivals=np.array([a for a, _ in chunks]),
            chunk_starts=np.array([starts.get(c.chunk_id, np.nan) for _, c in chunks]),
            inference_seconds=np.asarray(compute), rejected=int(sum(rejections.values())),
            tick_chunk=np.array([r.chunk_id for r in rows])[:n],
            chunk_ids=np.array([c.chunk_id for _, c in chunks]),
            chunk_ends=np.array([c.times[-1] for _, c in chunks]))


def executing_span(log: EpisodeLog) -> slice:
    """Ticks from the first executed chunk action to the end of the task's time."""
    executing = np.flatnonzero(log.mode == MODE_EXECUTING)
    first = int(executing[0]) if executing.size else 0
    last = int(np.searchsorted(log.t, log.duration, side='right'))
    return slice(first, max(first + 4, last))


def _metadata(log: EpisodeLog, run: RunConfig) -> dict:
    return {'run': dataclasses.asdict(run), 'seed': log.seed, 'params': log.params,
            'success': log.success, 'task_metrics': log.task_metrics,
            'chunks': int(log.chunk_stamps.size), 'rejected': log.rejected}
