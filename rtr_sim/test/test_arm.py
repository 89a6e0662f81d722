"""The arm spec comes from arm.xml; kinematics agree with MuJoCo and invert each other."""

import numpy as np
import pytest

from rtr_sim.arm import ARM_XML, TOOL_DOWN, IKError, Kinematics, arm_spec
from rtr_sim.runner import build_model
from rtr_sim.tasks import make_task


@pytest.fixture(scope='module')
def kin():
    return Kinematics(build_model(make_task('write')))


def test_spec_is_read_from_the_mjcf():
    spec = arm_spec()
    assert spec.joint_names == tuple(f'joint_{i}' for i in range(1, 8))
    text = ARM_XML.read_text()
    for name, lo, hi, vel in zip(spec.joint_names, spec.lower, spec.upper, spec.max_velocity,
                                 strict=True):
        assert f'<joint name="{name}"' in text
        assert f'<numeric name="{name}/max_velocity" data="{vel:g}"/>' in text
        assert lo < hi
    assert np.all(spec.max_acceleration > 0) and np.all(spec.max_effort > 0)
    assert spec.within_limits(spec.home, margin=0.05)
    assert not spec.within_limits(spec.upper + 0.01)


def test_home_points_the_tool_down(kin):
    _, rot = kin.tip_pose(kin.spec.home)
    np.testing.assert_allclose(rot, TOOL_DOWN, atol=1e-6)


def test_ik_reaches_the_work_area_and_fk_agrees(kin):
    rng = np.random.default_rng(0)
    q = None
    for target in np.column_stack([rng.uniform(0.38, 0.62, 20), rng.uniform(-0.15, 0.15, 20),
                                   rng.uniform(0.0, 0.1, 20)]):
        q = kin.solve(target, q0=q)
        pos, rot = kin.tip_pose(q)
        np.testing.assert_allclose(pos, target, atol=2e-5)
        np.testing.assert_allclose(rot, TOOL_DOWN, atol=1e-4)
        assert kin.spec.within_limits(q)
    np.testing.assert_allclose(kin.tip_positions(np.vstack([q, q]))[1], pos)


def test_unreachable_target_raises(kin):
    with pytest.raises(IKError, match='did not reach tip position'):
        kin.solve([2.0, 0.0, 0.0])
