"""Mechanics of the representation comparison on signals with known answers (the real-data
comparison with a trained VAE is in rtr_training/test/test_representation.py)."""

import numpy as np
import pytest

from rtr_core.errors import RtrError
from rtr_core.evaluation.representation import (
    REPRESENTATIONS,
    compare_representations,
    format_comparison,
    representation_signals,
)
from rtr_core.vae import ActionVAE, MinMaxNormaliser, VAEConfig


@pytest.fixture
def vae():
    return ActionVAE(VAEConfig(action_dim=2), MinMaxNormaliser(-np.ones(2), np.ones(2)))


def cubic_path(n=241):
    t = np.arange(n) / 60
    return np.column_stack([0.3 * t**3 - 0.5 * t, -0.2 * t**3 + t**2])


def test_known_answers_on_a_cubic_polynomial(vae):
    results = {r.name: r for r in compare_representations(vae, [cubic_path()])}
    assert list(results) == list(REPRESENTATIONS)
    raw, linear, cubic = results['raw'], results['linear'], results['cubic']
    assert raw.error_max == 0 and raw.jerk_ratio == pytest.approx(1.0)
    # jerk of a cubic polynomial is constant: 6 * (0.3, -0.2) -> |.| = 2.163 m/s^3
    assert raw.jerk_mean == pytest.approx(6 * np.hypot(0.3, 0.2), rel=1e-5)
    assert cubic.error_max < 1e-9, 'a cubic spline reproduces a cubic exactly'
    assert linear.error_mean > 1e-5 and linear.jerk_ratio > 10, 'kinks at every 15 Hz knot'
    assert results['vae'].windows == raw.windows == 241 // 48
    table = format_comparison(list(results.values()))
    assert table.count('\n') == 5 and '15 Hz + cubic' in table


def test_windows_are_cut_where_the_low_rate_samples_end(vae):
    signals = representation_signals(vae, cubic_path(203), stride=24)
    # 203 samples -> the last 15 Hz sample is index 200: windows start at 0, 24, ... 144
    assert all(s.shape == (7, 48, 2) for s in signals.values())
    np.testing.assert_array_equal(signals['raw'][1], cubic_path(203)[24:72])


def test_bad_trajectories_are_named(vae):
    with pytest.raises(RtrError, match=r'expected \(T, 2\)'):
        compare_representations(vae, [np.zeros((100, 3))])
    with pytest.raises(RtrError, match='shorter than the VAE horizon 48'):
        compare_representations(vae, [np.zeros((30, 2))])
    with pytest.raises(RtrError, match='no trajectories'):
        compare_representations(vae, [])
