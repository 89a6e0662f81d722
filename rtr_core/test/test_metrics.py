"""Metrics with known answers, in physical units."""

import numpy as np
import pytest

from rtr_core.metrics import (
    deviation,
    execution_metrics,
    jerk_per_step_stats,
    latency_stats,
    seam_gaps,
    seam_jerk,
    seam_ticks,
    stall_stats,
    tracking_error,
)

DT = 1 / 60


def line(n=120, speed=0.6):
    t = np.arange(n) * DT
    return np.column_stack([speed * t, -speed * t])


def test_deviation_per_dimension_and_scaled():
    ref = line()
    x = ref + np.array([0.001, -0.003])
    d = deviation(x, ref, scale=1000.0)
    assert d['per_dim'] == pytest.approx([1.0, 3.0])
    assert d['mean'] == pytest.approx(2.0) and d['max'] == pytest.approx(3.0)
    with pytest.raises(ValueError, match='must both be'):
        deviation(x[:10], ref)


def test_seam_gap_of_a_jump_and_of_an_invisible_seam():
    p = line()
    step = np.linalg.norm(p[1] - p[0])
    jumped = p.copy()
    jumped[60:] += np.array([0.05, 0.0])  # a 5 cm jump at tick 60
    g = seam_gaps(jumped, np.array([60]))
    assert g['seams'] == 1
    assert g['gap_mean'] == pytest.approx(np.linalg.norm(p[60] - p[59] + [0.05, 0]))
    assert g['gap_ratio_mean'] == pytest.approx(g['gap_mean'] / step)
    smooth = seam_gaps(p, np.array([30, 60, 90]))
    assert smooth['gap_ratio_max'] == pytest.approx(1.0)


def test_seam_jerk_ratio_flags_a_kink_not_a_smooth_curve():
    t = np.arange(200) * DT
    p = np.column_stack([np.sin(t), np.cos(t)])
    smooth = seam_jerk(p, np.array([100]), DT)
    assert smooth['jerk_ratio_mean'] == pytest.approx(1.0, abs=0.05)
    kinked = p.copy()
    kinked[100:] += 0.2 * (t[100:] - t[100])[:, None]  # velocity step at tick 100
    kink = seam_jerk(kinked, np.array([100]), DT)
    assert kink['jerk_ratio_mean'] > 100
    assert kink['jerk_mean'] == pytest.approx(0.2 * np.sqrt(2) / DT**2, rel=0.05)


def test_seam_ticks_skip_the_start():
    spliced = np.zeros(10, dtype=bool)
    spliced[[0, 4, 8]] = True
    assert seam_ticks(spliced).tolist() == [4, 8]


def test_jerk_per_step_is_the_unscaled_third_difference():
    x = (np.arange(10.0) ** 3)[:, None]
    assert jerk_per_step_stats(x)['mean'] == pytest.approx(6.0)


def test_stall_fraction_and_longest_stall():
    p = line(120)
    p[40:70] = p[40]  # 30 ticks standing still while the reference moves
    s = stall_stats(p, DT, reference=line(120))
    assert s['stall_fraction'] == pytest.approx(29 / 120)
    assert s['longest_stall_s'] == pytest.approx(29 * DT)
    idle = np.zeros(120, dtype=bool)
    idle[100:110] = True
    assert stall_stats(line(120), DT, idle=idle)['longest_stall_s'] == pytest.approx(10 * DT)


def test_tracking_error_and_latency_stats():
    c = line()
    m = c + np.array([0.003, 0.004])
    e = tracking_error(m, c)
    assert e['mean'] == pytest.approx(0.005) and e['max'] == pytest.approx(0.005)
    lat = latency_stats([0.1, 0.2, 0.3, np.nan])
    assert lat == {'p50': pytest.approx(0.2), 'p95': pytest.approx(0.29), 'max': 0.3}


def test_execution_metrics_bundle_everything():
    p = line()
    spliced = np.zeros(p.shape[0], dtype=bool)
    spliced[[0, 50, 100]] = True
    m = execution_metrics(p, DT, spliced, reference=p)
    assert m['deviation']['mean'] == 0.0
    assert m['seam']['seams'] == 2 and m['seam']['gap_ratio_mean'] == pytest.approx(1.0)
    assert m['stall']['stall_fraction'] == 0.0
    assert m['jerk']['max'] == pytest.approx(0.0, abs=1e-6)
