"""Boundary strategies on synthetic chunk streams with known answers."""

import dataclasses

import numpy as np
import pytest

from rtr_core.boundary import PRESETS, STRATEGIES, BoundaryError, make_strategy
from rtr_core.chunk import Chunk
from rtr_core.executor.config import BoundaryConfig, ExecutorConfig
from rtr_core.executor.executor import ChunkExecutor

T = 1 / 60
J = ExecutorConfig().joint_names
H = 48
UNLIMITED = ExecutorConfig.from_dict({'safety': {
    'position_lower': -100.0, 'position_upper': 100.0, 'max_step': 10.0,
    'max_velocity': 1e4, 'max_acceleration': 1e8, 'max_jerk': 1e12}})


def const_chunk(stamp, value, chunk_id, h=H):
    return Chunk(stamp, stamp + T, T, J, np.full((h, len(J)), float(value)), chunk_id)


def ramp_chunk(stamp, offset, chunk_id, slope=0.6, h=H):
    t = stamp + T + T * np.arange(h)
    return Chunk(stamp, stamp + T, T, J, np.repeat((slope * t + offset)[:, None], len(J), 1),
                 chunk_id)


def execute(strategy, deliveries, last_tick, config=None, vae=None):
    """Deliver (arrival, chunk) before the first tick at/after arrival; joint 0 per tick."""
    ex = ChunkExecutor(config or ExecutorConfig(), strategy=strategy, action_vae=vae)
    out, i = {}, 0
    for k in range(0, last_tick + 1):
        while i < len(deliveries) and deliveries[i][0] <= k * T + 1e-9:
            r = ex.receive(deliveries[i][1], deliveries[i][0])
            assert r.accepted, r.reason
            i += 1
        res = ex.tick(k * T)
        if res.position is not None:
            out[k] = res
    return out


def test_every_strategy_is_chosen_by_name():
    assert set(STRATEGIES) == {'sync', 'naive', 'weighted_average', 'temporal_ensemble',
                               'crossfade', 'anchor', 'rtr_paper', 'rtr'}
    with pytest.raises(BoundaryError, match='unknown boundary strategy'):
        make_strategy('smooth')
    with pytest.raises(BoundaryError, match='needs an action VAE'):
        make_strategy('rtr_paper')
    with pytest.raises(BoundaryError, match='preset'):
        make_strategy('weighted_average', BoundaryConfig(preset='median'))


def test_naive_reproduces_the_seam_jump():
    # chunk 1 says 0.0, chunk 2 (observation at tick 10, arrives 0.2 s later) says 1.0
    out = execute('naive', [(0.0, const_chunk(0.0, 0.0, 1)),
                            (10 * T + 0.2, const_chunk(10 * T, 1.0, 2))], 40)
    seam = 10 + 12  # arrival 0.2 s = 12 ticks after the observation: takes over at tick 22
    assert out[seam].spliced and out[seam].chunk_id == 2
    p = np.array([out[k].position[0] for k in range(seam - 3, seam + 1)])
    assert p[:3].tolist() == [0.0, 0.0, 0.0]
    # the jump is there, but the safety filter only lets it through within the limits
    assert out[seam].clamped and 0 < p[3] <= 0.05


def test_naive_jump_equals_prediction_difference_without_limits():
    out = execute('naive', [(0.0, ramp_chunk(0.0, 0.0, 1)),
                            (10 * T + 0.2, ramp_chunk(10 * T, 0.3, 2))], 40, UNLIMITED)
    steps = np.diff([out[k].position[0] for k in range(1, 41)])
    seam_step = steps[22 - 2]  # step into tick 22
    assert seam_step == pytest.approx(0.6 * T + 0.3)  # motion + the 0.3 prediction jump
    assert np.median(steps) == pytest.approx(0.6 * T)


@pytest.mark.parametrize('preset', list(PRESETS))
def test_weighted_average_matches_lerobot(preset):
    """LeRobot: queue = new chunk's unexecuted actions; overlap -> w_old*old + w_new*new,
    where old is the queued (possibly already merged) action."""
    w_old, w_new = PRESETS[preset]
    cfg = dataclasses.replace(UNLIMITED, boundary=BoundaryConfig(preset=preset))
    c1, c2, c3 = (const_chunk(0.0, 0.0, 1), const_chunk(10 * T, 1.0, 2),
                  const_chunk(20 * T, 2.0, 3))
    out = execute('weighted_average', [(0.0, c1), (15 * T, c2), (25 * T, c3)], 80, cfg)
    p = {k: r.position[0] for k, r in out.items()}
    # before chunk 2 arrives: chunk 1
    assert p[14] == 0.0
    # ticks 15..24: chunk 2 merged with chunk 1 (both cover them)
    assert p[15] == pytest.approx(w_old * 0.0 + w_new * 1.0)
    assert p[24] == pytest.approx(w_old * 0.0 + w_new * 1.0)
    # ticks 25..48: chunk 3 merged with the merged queue
    assert p[25] == pytest.approx(w_old * (w_old * 0.0 + w_new * 1.0) + w_new * 2.0)
    # ticks 49..58: only chunks 2 and 3 cover them
    assert p[50] == pytest.approx(w_old * 1.0 + w_new * 2.0)
    # after chunk 2's end (tick 58): chunk 3 alone
    assert p[60] == pytest.approx(2.0)


def test_temporal_ensemble_weights_every_prediction_like_act():
    m = 0.01
    cfg = dataclasses.replace(UNLIMITED, boundary=BoundaryConfig(ensemble_m=m))
    chunks = [const_chunk(0.0, 0.0, 1), const_chunk(5 * T, 1.0, 2), const_chunk(10 * T, 2.5, 3)]
    out = execute('temporal_ensemble', [(0.0, chunks[0]), (8 * T, chunks[1]),
                                        (12 * T, chunks[2])], 70, cfg)
    w = np.exp(-m * np.arange(3))
    assert out[20].position[0] == pytest.approx((w[0] * 0 + w[1] * 1 + w[2] * 2.5) / w.sum())
    assert out[52].position[0] == pytest.approx((w[0] * 1 + w[1] * 2.5) / w[:2].sum())
    assert out[56].position[0] == pytest.approx(2.5)


def test_crossfade_ramps_linearly_over_the_overlap():
    cfg = dataclasses.replace(UNLIMITED, boundary=BoundaryConfig(crossfade_ticks=4))
    out = execute('crossfade', [(0.0, const_chunk(0.0, 0.0, 1)),
                                (10 * T, const_chunk(5 * T, 1.0, 2))], 30, cfg)
    assert [round(out[k].position[0], 9) for k in range(9, 15)] == [0.0, 0.2, 0.4, 0.6, 0.8,
                                                                     1.0]


def test_sync_executes_every_action_shifted_to_now():
    c1 = ramp_chunk(0.0, 0.0, 1, h=10)
    c2 = ramp_chunk(0.0, 2.0, 2, h=10)  # arrives while chunk 1 runs: waits, then runs whole
    out = execute('sync', [(0.0, c1), (3 * T, c2)], 40)
    np.testing.assert_allclose([out[k].position[0] for k in range(0, 10)],
                               c1.positions[:, 0])
    assert out[10].spliced and out[10].chunk_id == 2 and out[9].chunk_id == 1
    assert out[10].clamped and out[10].position[0] > c1.positions[-1, 0]  # towards chunk 2
    cfg = dataclasses.replace(UNLIMITED, strategy='sync')
    out = execute('sync', [(0.0, c1), (3 * T, c2)], 40, cfg)
    np.testing.assert_allclose([out[k].position[0] for k in range(10, 20)], c2.positions[:, 0])
