import numpy as np
import pytest

from rtr_core.datasets.lasa import SHAPES, load_demos, shape_path
from rtr_core.errors import RtrError
from rtr_core.metrics import jerk, jerk_stats


def test_every_shape_loads_offline():
    for shape in SHAPES:
        demos = load_demos(shape)
        assert len(demos) == 7
        assert np.allclose(demos[0].xy[-1], 0.0), 'LASA demos end at the origin'


def test_shape_path_is_scaled_and_resampled():
    t, xy = shape_path('GShape', demo=2, size=0.10, rate=60.0)
    assert np.allclose(np.diff(t), 1 / 60)
    assert 2.0 < t[-1] < 10.0
    assert np.ptp(xy, axis=0).max() <= 0.10 + 1e-9
    assert np.ptp(xy, axis=0).max() > 0.08
    t2, _ = shape_path('GShape', demo=2, speed=2.0)
    assert t2[-1] == pytest.approx(t[-1] / 2, abs=1 / 60)


def test_bad_shape_names_the_choices():
    with pytest.raises(RtrError, match='unknown LASA shape'):
        load_demos('Circle')
    with pytest.raises(RtrError, match='demos 0..6'):
        shape_path('Angle', demo=9)


def test_jerk_of_a_cubic_is_constant():
    dt = 0.01
    t = np.arange(50) * dt
    x = (2.0 * t**3)[:, None]
    np.testing.assert_allclose(jerk(x, dt), 12.0, rtol=1e-6)
    stats = jerk_stats(np.hstack([x, 0 * x]), dt)
    assert stats['mean'] == pytest.approx(12.0, rel=1e-6)
    assert stats['max'] == pytest.approx(12.0, rel=1e-6)
