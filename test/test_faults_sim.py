"""Fault scenarios in the simulator's closed loop, each with a measured bound.

The loop: rtr_sim's MuJoCo arm (JTC-like controller, 600 Hz physics) driven at 60 Hz by the
rtr_core executor (``rtr`` strategy, hand-over anchoring, the arm's own limits), fed by a
policy stand-in that, when the executor asks for inference, observes (joint state, and the
camera frame where the scenario uses it) and returns 250 ms later a 48-action chunk: the
scripted expert's plan over the chunk's window plus a smooth prediction error
(rtr_core.evaluation.chunk_stream). Faults are injected between the policy and the executor
or on the clocks. Bounds are on what was commanded and measured, never on wall time.

Bounds shared by every scenario: every command inside the position limits, no step between
consecutive commands above the per-tick limit, the acceleration of the commands within the
arm's limits, every joint's jerk within the arm's jerk limit, and the jerk (norm over the
joints) at most 1200 rad/s^3 (half of reversing the largest acceleration in one tick).
Per scenario: jerk against the fault-free run where the fault does not force a catch-up,
and what the fault must produce (holding, rejections, recovery).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from rtr_core.chunk import Chunk
from rtr_core.evaluation.chunk_stream import StreamConfig, _error
from rtr_core.executor.config import ExecutorConfig, SafetyConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_EXECUTING, MODE_HOLDING
from rtr_core.metrics import jerk_stats
from rtr_sim.experts import ScriptedExpert
from rtr_sim.runner import RunnerConfig, SimRunner

T = 1 / 60
H = 48
LATENCY = 0.25
SECONDS = 7.0


@dataclass
class Fault:
    """What goes wrong, as functions of simulated time (seconds)."""

    silent: tuple[float, float] | None = None  # the policy publishes nothing in [a, b)
    spikes: tuple[int, ...] = ()  # these chunks (by number) take 3 chunk lengths
    swap_pairs: tuple[int, ...] = ()  # chunk n arrives after chunk n + 1
    duplicate_every: int = 0  # every n-th chunk is delivered twice
    camera_drop: float = 0.0  # probability that a camera frame is lost in [2, 5) s
    camera_blackout: tuple[float, float] | None = None
    clock_jump: tuple[float, float] | None = None  # at time a the clock moves by b seconds


@dataclass
class Trace:
    commands: np.ndarray
    measured: np.ndarray
    modes: np.ndarray
    times: np.ndarray
    executor: ChunkExecutor
    sent: int = 0
    delivered: int = 0
    receptions: list = field(default_factory=list)

    def within(self, a: float, b: float) -> slice:
        return slice(int(round(a / T)), int(round(b / T)))


def _config(arm) -> ExecutorConfig:
    return ExecutorConfig(joint_names=arm.joint_names, strategy='rtr', safety=SafetyConfig(
        position_lower=tuple(arm.lower), position_upper=tuple(arm.upper),
        max_velocity=tuple(arm.max_velocity), max_acceleration=tuple(arm.max_acceleration),
        max_jerk=tuple(arm.max_jerk), max_step=tuple(arm.max_velocity * T)))


def closed_loop(fault: Fault, seed: int = 0, render: bool = False) -> Trace:
    rng = np.random.default_rng(seed)
    with SimRunner('write', RunnerConfig(render=render)) as runner:
        obs = runner.reset(seed)
        plan = ScriptedExpert(runner.kinematics, runner.episode, 60.0).positions
        arm = runner.arm
        executor = ChunkExecutor(_config(arm))
        executor.start(obs.position, 0.0)
        stream = StreamConfig(horizon=H, error=0.005, seed=seed)
        pending: list[tuple[float, int, Chunk]] = []
        busy_until, n_sent, frame_stamp = -np.inf, 0, None
        commands, measured, modes, times, receptions = [], [], [], [], []
        delivered = 0
        for k in range(int(SECONDS / T)):
            now = k * T
            offset = 0.0
            if fault.clock_jump is not None and now >= fault.clock_jump[0]:
                offset = fault.clock_jump[1]
            clock = now + offset
            for item in sorted([p for p in pending if p[0] <= now + 1e-9],
                               key=lambda p: (p[0], p[1])):
                pending.remove(item)
                receptions.append(executor.receive(item[2], clock))
                delivered += 1
            result = executor.tick(clock)
            runner.send_trajectory(result.window)
            commands.append(result.position)
            modes.append(result.mode)
            times.append(now)
            if obs.image is not None:  # a frame reached the policy unless the camera drops it
                dropped = 2.0 <= now < 5.0 and rng.random() < fault.camera_drop
                if fault.camera_blackout is not None:
                    dropped |= fault.camera_blackout[0] <= now < fault.camera_blackout[1]
                if not dropped:
                    frame_stamp = obs.stamp
            silent = fault.silent is not None and fault.silent[0] <= now < fault.silent[1]
            fresh = not render or (frame_stamp is not None and now - frame_stamp <= 0.1)
            if result.inference_requested and now >= busy_until and not silent and fresh:
                n_sent += 1
                times_ahead = now + T * np.arange(1, H + 1)
                idx = np.clip(np.round(times_ahead / T).astype(int), 0, len(plan) - 1)
                positions = plan[idx] + _error(rng, H, plan.shape[1], stream)
                chunk = Chunk(clock, clock + T, T, arm.joint_names, positions, n_sent)
                latency = LATENCY * (1.0 + rng.uniform(-0.2, 0.2))
                if n_sent in fault.spikes:
                    latency = 3 * H * T
                order = n_sent
                if n_sent in fault.swap_pairs:
                    order = n_sent + 1.5  # delivered after the next chunk
                pending.append((now + latency, order, chunk))
                if fault.duplicate_every and n_sent % fault.duplicate_every == 0:
                    pending.append((now + latency + T, order + 0.1, chunk))
                busy_until = now + latency
                if n_sent in fault.swap_pairs:  # the next request goes out at once
                    busy_until = now
            obs = runner.step_tick()
            measured.append(obs.position)
    return Trace(np.array(commands), np.array(measured), np.array(modes), np.array(times),
                 executor, n_sent, delivered, receptions)


def _arm_limits():
    from rtr_sim.arm.spec import arm_spec

    return arm_spec()


def assert_safe(trace: Trace) -> dict:
    """The shared bounds; returns (and prints, for the report) the measured values."""
    arm = _arm_limits()
    q = trace.commands
    assert np.all(q >= arm.lower - 1e-9) and np.all(q <= arm.upper + 1e-9)
    step = np.abs(np.diff(q, axis=0)) / (arm.max_velocity * T)
    acc = np.abs(np.diff(q, n=2, axis=0)) / T**2 / arm.max_acceleration
    assert step.max() <= 1 + 1e-9, step.max()
    assert acc.max() <= 1 + 1e-6, acc.max()
    jerk_bound = 0.5 * 2 * arm.max_acceleration.max() / T
    assert jerk_stats(q, T)['max'] <= jerk_bound
    # every joint within its own jerk limit (the discrete third difference of the commands)
    joint_jerk = np.abs(np.diff(q, n=3, axis=0)) / T**3 / arm.max_jerk
    assert joint_jerk.max() <= 1 + 1e-6, joint_jerk.max(axis=0)
    measured = {'step_ratio': float(step.max()), 'acc_ratio': float(acc.max()),
                'jerk': jerk_stats(q, T), 'tracking_max': float(np.abs(
                    trace.measured[:-1] - q[1:]).max()),
                'holding_ticks': int(np.sum(trace.modes == MODE_HOLDING)),
                'rejections': {k: v for k, v in trace.executor.rejections().items() if v}}
    print(measured)
    return measured


@pytest.fixture(scope='module')
def baseline():
    trace = closed_loop(Fault())
    measured = assert_safe(trace)
    assert np.all(trace.modes[30:] == MODE_EXECUTING)  # no stall without faults
    return trace, measured


def test_policy_silent_for_2s_then_resumes_smoothly(baseline):
    trace = closed_loop(Fault(silent=(2.0, 4.0)))
    m = assert_safe(trace)
    hold = trace.modes[trace.within(2.5, 4.0)]
    assert np.mean(hold == MODE_HOLDING) > 0.5  # it ran out of plan and held
    # holding is a smooth stop: at rest before the policy resumes
    v = np.abs(np.diff(trace.commands[trace.within(3.6, 4.0)], axis=0)) / T
    assert v.max() < 1e-6
    # resumed: executing again within the latency (+ 3 ticks) after the policy came back
    back = np.argmax(trace.modes[trace.within(4.0, SECONDS)] == MODE_EXECUTING) * T
    assert back <= LATENCY * 1.2 + 3 * T
    # the hold itself is as smooth as the fault-free motion; the resume catches up with a
    # plan 2 s ahead (the stand-in policy follows the clock) along Ruckig's jerk-limited way
    # (every joint within its jerk limit: shared bounds), and the run's p95 stays near the
    # fault-free one (measured 131 rad/s^3, max 339; the old acceleration-only filter: p95
    # 129, max 1036, 4x joint 4's limit)
    base = baseline[1]['jerk']
    hold_jerk = jerk_stats(trace.commands[trace.within(2.0, 4.0)], T)
    assert hold_jerk['max'] <= 1.5 * base['max'], (hold_jerk, base)
    assert m['jerk']['p95'] <= 2.0 * base['p95'], (m['jerk'], base)


def test_latency_spikes_of_three_chunk_lengths(baseline):
    trace = closed_loop(Fault(spikes=(3, 6)))
    m = assert_safe(trace)
    rej = trace.executor.rejections()
    assert rej['stale'] + rej['out_of_order'] >= 2  # the late chunks were not executed
    assert np.any(trace.modes[60:] == MODE_HOLDING)
    assert trace.modes[-1] == MODE_EXECUTING  # and the loop recovered
    base = baseline[1]['jerk']  # measured p95 152, max 312 (old filter: 133, 932)
    assert m['jerk']['p95'] <= 2.0 * base['p95'], (m['jerk'], base)


def test_chunks_out_of_order_or_duplicated(baseline):
    trace = closed_loop(Fault(swap_pairs=(3, 7, 11), duplicate_every=2))
    m = assert_safe(trace)
    kinds = [r.kind for r in trace.receptions if not r.accepted]
    assert kinds.count('out_of_order') >= 3 + trace.sent // 2 - 2
    base = baseline[1]['jerk']
    assert m['jerk']['max'] <= 1.5 * base['max'], (m['jerk'], base)
    assert m['jerk']['p95'] <= 1.5 * base['p95'], (m['jerk'], base)


def test_camera_drops_frames():
    trace = closed_loop(Fault(camera_drop=0.5, camera_blackout=(5.0, 5.8)), render=True)
    m = assert_safe(trace)
    assert np.any(trace.modes[trace.within(5.3, 6.2)] == MODE_HOLDING)  # blackout: starved
    assert trace.modes[-1] == MODE_EXECUTING
    assert m['jerk']['p95'] <= 200.0, m['jerk']  # 2.5x the fault-free run's p95 (81)


def test_clock_jump_back_as_in_a_bag_replay_restart(baseline):
    trace = closed_loop(Fault(clock_jump=(3.0, -100.0)))
    m = assert_safe(trace)
    assert trace.executor.clock_jumps() == 1
    after = trace.modes[trace.within(3.0, SECONDS)]
    assert after[0] == MODE_HOLDING  # the old plan is dropped, the arm brakes
    back = np.argmax(after == MODE_EXECUTING) * T
    assert 0 < back <= LATENCY * 1.2 + 3 * T  # first chunk on the new clock executes
    assert trace.modes[-1] == MODE_EXECUTING
    base = baseline[1]['jerk']
    assert m['jerk']['max'] <= 2.5 * base['max'], (m['jerk'], base)
    assert m['jerk']['p95'] <= 1.5 * base['p95'], (m['jerk'], base)


def test_clock_jump_forward_does_not_widen_the_limits(baseline):
    trace = closed_loop(Fault(clock_jump=(3.0, 50.0)))
    assert_safe(trace)
    assert trace.executor.clock_jumps() == 1 and trace.modes[-1] == MODE_EXECUTING

