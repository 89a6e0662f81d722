"""Metrics with known answers, in physical units."""

import numpy as np
import pytest

from rtr_core.metrics import (
    deviation,
    execution_metrics,
    jerk_per_step_stats,
    latency_stats,
    quiet_ticks,
    seam_gaps,
    seam_jerk,
    seam_ticks,
    speed_tracking,
    stall_stats,
    tracking_error,
)
from rtr_core.metrics.intervals import success_text, wilson_interval

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


def circle(n=240, w=2.0, r=0.3):
    """Constant speed and curvature: every second and third difference has the same norm."""
    t = np.arange(n) * DT
    return np.column_stack([r * np.sin(w * t), r * np.cos(w * t)])


def test_seam_gap_is_the_step_change_not_the_motion():
    p = line(speed=0.6)  # 10 mrad per tick: the old |p_s - p_(s-1)| reported all of it
    assert seam_gaps(p, np.array([60]))['gap_mean'] == pytest.approx(0.0, abs=1e-12)
    jumped = p.copy()
    jumped[60:] += np.array([0.05, 0.0])  # a 5 cm jump at tick 60
    g = seam_gaps(jumped, np.array([60]))
    assert g['seams'] == 1 and g['gap_mean'] == pytest.approx(0.05)
    c = circle()
    smooth = seam_gaps(c, np.array([60, 120, 180]))
    assert smooth['gap_ratio_max'] == pytest.approx(1.0)
    assert smooth['gap_mean'] == pytest.approx(0.3 * (2.0 * DT) ** 2, rel=1e-3)


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


def test_the_median_seam_is_not_moved_by_one_rough_hand_over():
    t = np.arange(400) * DT
    p = np.column_stack([np.sin(t), np.cos(t)])
    seams = np.array([50, 150, 250])
    kinked = p.copy()
    kinked[150:] += 0.2 * (t[150:] - t[150])[:, None]  # one velocity step, at the second seam
    smooth, rough = seam_jerk(p, seams, DT), seam_jerk(kinked, seams, DT)
    assert rough['jerk_mean'] > 50 * smooth['jerk_mean']  # one rough seam raises the mean
    assert rough['jerk_p50'] == pytest.approx(smooth['jerk_p50'], rel=0.05)  # not the median
    assert rough['jerk_max'] == pytest.approx(0.2 * np.sqrt(2) / DT**2, rel=0.05)


def test_a_blend_after_the_seam_does_not_raise_its_own_baseline():
    """A strategy that smooths a seam over a 24-tick blend makes those ticks rougher than the
    chunk's own motion; counted in its baseline they flattered its seam jerk ratio (the old
    definition: everything outside +-3 ticks of its seams). Over the ticks that are in-chunk
    for every run compared, the baseline is the chunk's own jerk, and both runs are judged
    against the same ticks."""
    n, blend = 300, 24
    base = circle(n)
    seams = np.arange(4, n - 30, 36)
    blended = base.copy()
    bump = 1e-3 * np.sin(np.linspace(0, 3 * np.pi, blend))[:, None]  # a wobbly blend
    for s in seams:
        blended[s:s + blend] += bump
    true_base = float(np.median(np.linalg.norm(np.diff(base, n=3, axis=0), axis=1))) / DT**3
    own = seam_jerk(blended, seams, DT)  # the old way: the blend counts as in-chunk
    assert own['in_chunk_jerk_p50'] > 2 * true_base
    quiet = quiet_ticks(n, [seams, seams + 2], blend=blend)  # two runs, other seams
    fair = seam_jerk(blended, seams, DT, quiet)
    assert fair['in_chunk_jerk_p50'] == pytest.approx(true_base, rel=1e-6)
    assert fair['jerk_ratio_mean'] > 2 * own['jerk_ratio_mean']
    assert fair['jerk_mean'] == own['jerk_mean']  # the absolute seam jerk is the same
    bundled = execution_metrics(blended, DT, np.isin(np.arange(n), [0, *seams]), blend=blend)
    assert bundled['seam']['in_chunk_jerk_p50'] == pytest.approx(true_base, rel=1e-6)


def test_no_baseline_without_enough_in_chunk_ticks():
    p = circle(60)
    quiet = quiet_ticks(60, [np.arange(3, 60, 10)], blend=8)
    assert not quiet.any()
    m = seam_jerk(p, np.arange(3, 60, 10), DT, quiet)
    assert np.isnan(m['in_chunk_jerk_p50']) and np.isnan(m['jerk_ratio_mean'])
    assert m['jerk_mean'] > 0


def test_wilson_interval_and_success_text():
    assert wilson_interval(0, 24) == pytest.approx((0.0, 0.1380), abs=1e-4)
    lo1, hi1 = wilson_interval(1, 24)
    lo2, hi2 = wilson_interval(2, 24)
    assert lo2 < hi1 and lo1 < 1 / 24 < hi1  # 2/24 is not distinguishable from 1/24
    assert wilson_interval(24, 24)[1] == 1.0
    assert success_text(2, 24) == f'2/24 ({100 * lo2:.0f}-{100 * hi2:.0f}%)'
    with pytest.raises(ValueError, match='successes=3'):
        wilson_interval(3, 2)


def test_speed_tracking_known_answer():
    ref = line(120, speed=0.1)
    fast = line(120, speed=0.2)
    s = speed_tracking(fast, ref, DT)
    v = 0.1 * np.sqrt(2)
    assert s['rms'] == pytest.approx(v) and s['relative'] == pytest.approx(1.0)
    assert speed_tracking(ref, ref, DT)['rms'] == 0.0
    with pytest.raises(ValueError, match='same shape'):
        speed_tracking(ref[:10], ref, DT)


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
    assert m['seam']['seams'] == 2 and m['seam']['gap_mean'] == pytest.approx(0.0, abs=1e-12)
    assert m['stall']['stall_fraction'] == 0.0
    assert m['jerk']['max'] == pytest.approx(0.0, abs=1e-6)


def test_speed_tracking_along_the_path_forgives_a_lag_not_a_swing():
    # a curve travelled with a speed that varies 50-150% (arc length s(t)); the command
    # follows it 6 ticks late (same profile along the path), or on time with a swing
    t = np.arange(300) * DT
    s_ref = 0.1 * t - 0.05 / (2 * np.pi) * np.cos(2 * np.pi * t)

    def curve(s):
        return np.stack([np.cos(2 * s), np.sin(2 * s), 0 * s], axis=1)

    ref = curve(s_ref)
    late = curve(np.r_[np.full(6, s_ref[0]), s_ref[:-6]])
    swing = curve(s_ref + 0.004 * np.sin(2 * np.pi * 2.5 * t))
    lag = speed_tracking(late[10:], ref[10:], DT)  # after the late start
    swung = speed_tracking(swing, ref, DT)
    assert lag['rms'] > 0.1 * lag['reference_mean']  # the lag costs at the same tick
    assert lag['path_rms'] < 0.02 * lag['reference_mean']  # not along the path
    assert swung['path_rms'] > 0.3 * swung['reference_mean']
    with pytest.raises(ValueError, match='window'):
        speed_tracking(ref, ref, DT, window=-1)


def test_no_ratio_against_a_robot_standing_still():
    """Held still between seams (a starved executor holding), the in-chunk baseline is 0: a
    ratio over it is no number (it printed 4e14 in a report), the absolute seam jerk is."""
    p = np.zeros((120, 2))
    p[60:] += 0.01  # one step while otherwise standing still
    m = seam_jerk(p, np.array([60]), DT)
    assert m['in_chunk_jerk_p50'] == 0.0 and m['jerk_mean'] > 0
    assert np.isnan(m['jerk_ratio_mean'])
    assert np.isnan(seam_gaps(p, np.array([60]))['gap_ratio_mean'])
