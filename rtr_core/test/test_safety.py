"""The safety filter: limited targets are reached without overshoot and with bounded jerk,
plans within the limits pass unchanged, and clipped chunks are counted."""

import numpy as np
import pytest

from rtr_core.chunk import Chunk
from rtr_core.executor.config import ExecutorConfig, SafetyConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.safety import Command, SafetyFilter

T = 1 / 60
ONE = ('joint_1',)


def step_response(jerk: float, ticks: int = 120, start_velocity: float = 0.0) -> np.ndarray:
    """Commands of one joint told to go to 0.5 rad at once (v 2 rad/s, a 10 rad/s^2)."""
    f = SafetyFilter(ExecutorConfig(joint_names=ONE, safety=SafetyConfig(
        max_velocity=2.0, max_acceleration=10.0, max_jerk=jerk, max_step=1.0)))
    command = Command(np.zeros(1), np.array([start_velocity]), np.zeros(1), np.zeros(1))
    out = [-2 * start_velocity * T, -start_velocity * T, 0.0]  # moving like that before
    for _ in range(ticks):
        command = f.apply(np.array([0.5]), command)
        out.append(command.position[0])
    return np.array(out)


@pytest.mark.parametrize('jerk', [100.0, 300.0, 5000.0])
@pytest.mark.parametrize('start_velocity', [0.0, 1.5, -1.5])
def test_a_limited_step_is_reached_without_overshoot_and_with_bounded_jerk(jerk,
                                                                           start_velocity):
    q = step_response(jerk, start_velocity=start_velocity)
    assert q.max() <= 0.5 + 1e-3  # the old filter peaked at 0.667 rad
    assert abs(q[-1] - 0.5) < 1e-9  # and settles on the target
    acc = np.diff(q, 2) / T**2
    assert np.abs(acc).max() <= 10.0 * (1 + 1e-6)
    assert np.abs(np.diff(q, 3)).max() / T**3 <= jerk * (1 + 1e-6)  # old: 1200 (+-a flips)


def test_a_plan_within_the_limits_passes_unchanged():
    cfg = ExecutorConfig(joint_names=ONE, safety=SafetyConfig(
        max_velocity=2.0, max_acceleration=10.0, max_jerk=300.0, max_step=1.0))
    f = SafetyFilter(cfg)
    t = np.arange(200) * T
    plan = 0.3 * np.sin(2 * np.pi * 0.5 * t)  # v 0.94, a 3.0, jerk 9.3: within every limit
    command = Command.at_rest(plan[:1])
    for k in range(1, 4):  # already moving along the plan
        command = command.then(plan[k:k + 1], T)
    out = list(plan[:4])
    for k in range(4, len(plan)):
        command = f.apply(plan[k:k + 1], command, 1, plan[k + 1:k + 2] if k + 1 < len(plan)
                          else None)
        assert not command.clamped or k == len(plan) - 1
        out.append(command.position[0])
    np.testing.assert_array_equal(out[:-1], plan[:-1])


def _executor(**safety) -> ChunkExecutor:
    limits = dict(max_velocity=2.0, max_acceleration=10.0, max_jerk=300.0, max_step=1.0)
    limits.update(safety)
    return ChunkExecutor(ExecutorConfig(safety=SafetyConfig(**limits), window_duration=0.3),
                         strategy='naive')


def test_a_first_chunk_far_from_the_start_is_approached_without_overshoot():
    ex = _executor()
    ex.start(np.zeros(7), 0.0)
    far = Chunk(0.0, T, T, ex.config.joint_names, np.full((48, 7), 0.5), 1)
    assert ex.receive(far, 0.0).accepted
    commands, windows = [], []
    for k in range(1, 60):
        result = ex.tick(k * T)
        commands.append(result.position[0])
        windows.append(result.window.positions[:, 0])
    q = np.concatenate([[0.0, 0.0], commands])
    assert max(commands) <= 0.5 + 1e-3
    assert max(w.max() for w in windows) <= 0.5 + 1e-3  # the streamed windows too
    assert np.abs(np.diff(q, 3)).max() / T**3 <= 300.0 * (1 + 1e-6)
    for w in windows:  # every window is a path the filter allows
        assert np.abs(np.diff(w, 2)).max() / T**2 <= 10.0 * (1 + 1e-6)


def test_a_hold_from_full_speed_brakes_with_bounded_jerk():
    ex = _executor()
    ex.start(np.zeros(7), 0.0)
    ramp = 1.5 * T * np.arange(1, 31)[:, None] * np.ones(7)  # 1.5 rad/s, then nothing
    ex.receive(Chunk(0.0, T, T, ex.config.joint_names, ramp, 1), 0.0)
    q = np.array([ex.tick(k * T).position[0] for k in range(1, 120)])
    q = np.concatenate([[0.0, 0.0, 0.0], q])
    assert np.abs(np.diff(q, 3)).max() / T**3 <= 300.0 * (1 + 1e-6)
    assert np.abs(np.diff(q, 2)).max() / T**2 <= 10.0 * (1 + 1e-6)
    assert np.all(np.diff(q[3:]) >= -1e-12)  # brakes without reversing
    assert abs(q[-1] - q[-2]) < 1e-12  # and rests


def test_positions_clipped_to_the_joint_limits_are_counted():
    ex = _executor(position_lower=-1.0, position_upper=1.0)
    ex.start(np.zeros(7), 0.0)
    inside = Chunk(0.0, T, T, ex.config.joint_names, np.full((48, 7), 0.5), 1)
    outside = Chunk(T, 2 * T, T, ex.config.joint_names, np.full((48, 7), 1.5), 2)
    ex.receive(inside, 0.0)
    assert ex.state().clipped_chunks == 0
    ex.receive(outside, T)
    assert ex.state().clipped_chunks == 1
