"""Task scores fail when they should: moved ink, half a wipe, lost contact."""

import dataclasses

import numpy as np
import pytest

from rtr_core.errors import RtrError
from rtr_sim.experts import ScriptedExpert
from rtr_sim.runner import RunnerConfig, SimRunner
from rtr_sim.tasks import WriteConfig
from rtr_sim.tasks.wipe import serpentine


def expert_trace(task, seed, task_config=None):
    with SimRunner(task, RunnerConfig(render=False), task_config) as r:
        r.reset(seed=seed)
        expert = ScriptedExpert(r.kinematics, r.episode)
        for k in range(expert.ticks):
            r.send_trajectory(expert.window(k))
            r.step_tick()
        return r.task, r.episode, r.trace()


@pytest.fixture(scope='module')
def wipe():
    return expert_trace('wipe', 4)


@pytest.fixture(scope='module')
def write():
    return expert_trace('write', 2, WriteConfig(shapes=('Sine', 'Angle'), speed=(1.25, 1.25)))


def test_write_expert_succeeds_and_moved_ink_fails(write):
    task, episode, trace = write
    result = task.evaluate(episode, trace)
    assert result.success, result.metrics
    assert result.metrics['deviation_mean_mm'] < 1.0
    assert 1.0 < result.metrics['force_mean_n'] < 4.0
    shifted = dataclasses.replace(trace, tip=trace.tip + np.array([0.005, 0.0, 0.0]))
    assert not task.evaluate(episode, shifted).success
    lifted = dataclasses.replace(trace, contact_force=np.zeros_like(trace.contact_force))
    assert task.evaluate(episode, lifted).metrics['contact_fraction'] == 0.0


def test_wipe_expert_succeeds_and_half_a_wipe_fails(wipe):
    task, episode, trace = wipe
    result = task.evaluate(episode, trace)
    assert result.success, result.metrics
    lo, hi = task.region(episode)
    assert result.metrics['coverage'] == 1.0
    band = episode.params['force_band_n']
    assert band[0] < result.metrics['force_mean_n'] < band[1]
    half = trace.tip[:, 1] > (lo[1] + hi[1]) / 2
    force = np.where(half, 0.0, trace.contact_force)
    partial = task.evaluate(episode, dataclasses.replace(trace, contact_force=force))
    assert not partial.success and partial.metrics['coverage'] < 0.7
    pressed = dataclasses.replace(trace, contact_force=trace.contact_force * 3)
    assert not task.evaluate(episode, pressed).success  # out of the force band


def test_serpentine_is_one_continuous_stroke_covering_the_region():
    lo, hi = np.array([0.0, 0.0]), np.array([0.12, 0.15])
    pts = serpentine(lo, hi, spacing=0.04, margin=0.03)
    assert np.max(np.linalg.norm(np.diff(pts, axis=0), axis=1)) < 0.003
    gx, gy = np.meshgrid(np.linspace(0, 0.12, 25), np.linspace(0, 0.15, 31))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    nearest = np.min(np.linalg.norm(grid[:, None] - pts[None], axis=2), axis=1)
    assert nearest.max() <= 0.03


def test_unknown_shape_is_a_clear_error():
    with pytest.raises(RtrError, match="unknown LASA shapes \\['Heart'\\]"):
        SimRunner('write', RunnerConfig(render=False), WriteConfig(shapes=('Heart',)))
