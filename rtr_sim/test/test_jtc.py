"""The JTC-like controller against known answers (design/ros2.md semantics)."""

import numpy as np
import pytest

from rtr_core.trajectory import TrajectoryWindow
from rtr_sim.control import JointTrajectoryController, TrajectoryRejected, hermite

NAMES = ('a', 'b')


def window(times, positions, velocities=None, names=NAMES):
    return TrajectoryWindow(names, np.asarray(times, float), np.asarray(positions, float),
                            None if velocities is None else np.asarray(velocities, float))


def test_holds_before_any_trajectory():
    c = JointTrajectoryController(NAMES, [0.5, -0.5])
    pos, vel, acc = c.sample(3.0)
    assert pos.tolist() == [0.5, -0.5] and vel.tolist() == [0, 0] and acc.tolist() == [0, 0]


def test_cubic_from_rest_is_the_smoothstep():
    c = JointTrajectoryController(NAMES, [0.0, 0.0])
    c.set_trajectory(window([1.0], [[1.0, 2.0]], [[0.0, 0.0]]), now=10.0)
    for s in (0.0, 0.25, 0.5, 0.9):
        pos, vel, acc = c.sample(10.0 + s)
        np.testing.assert_allclose(pos, np.array([1, 2]) * (3 * s**2 - 2 * s**3))
        np.testing.assert_allclose(vel, np.array([1, 2]) * (6 * s - 6 * s**2))
        np.testing.assert_allclose(acc, np.array([1, 2]) * (6 - 12 * s))
    pos, vel, _ = c.sample(11.5)  # after the end: hold the last point
    assert pos.tolist() == [1.0, 2.0] and vel.tolist() == [0.0, 0.0]


def test_hermite_matches_end_conditions():
    p, v, _ = hermite(0.0, 1.0, 2.0, 0.5, 3.0, -1.0, 0.0)
    assert (p, v) == (1.0, 2.0)
    p, v, _ = hermite(0.0, 1.0, 2.0, 0.5, 3.0, -1.0, 0.5)
    assert p == pytest.approx(3.0) and v == pytest.approx(-1.0)


def test_positions_only_is_linear():
    c = JointTrajectoryController(NAMES, [0.0, 0.0])
    c.set_trajectory(window([0.5, 1.0], [[1.0, 0.0], [1.0, 4.0]]), now=0.0)
    pos, vel, acc = c.sample(0.25)
    np.testing.assert_allclose(pos, [0.5, 0.0])
    np.testing.assert_allclose(vel, [2.0, 0.0])
    assert acc.tolist() == [0.0, 0.0]
    np.testing.assert_allclose(c.sample(0.75)[0], [1.0, 2.0])


def test_new_window_replaces_and_starts_from_the_desired_state():
    c = JointTrajectoryController(NAMES, [0.0, 0.0])
    c.set_trajectory(window([1.0], [[1.0, 1.0]], [[0.0, 0.0]]), now=0.0)
    before_pos, before_vel, _ = c.sample(0.4)
    c.set_trajectory(window([0.5], [[-1.0, 2.0]], [[0.0, 0.0]]), now=0.4)
    pos, vel, _ = c.sample(0.4)  # continuous in position AND velocity at the hand-over
    np.testing.assert_allclose(pos, before_pos)
    np.testing.assert_allclose(vel, before_vel)
    np.testing.assert_allclose(c.sample(0.9)[0], [-1.0, 2.0])  # the old goal is gone
    assert c.accepted == 2


def test_stamp_in_the_past_jumps_and_future_stamp_ramps():
    w = window([0.1, 0.2], [[1.0, 1.0], [2.0, 2.0]], [[10.0, 10.0], [10.0, 10.0]])
    past = JointTrajectoryController(NAMES, [0.0, 0.0])
    past.set_trajectory(w, now=5.0, stamp=4.85)  # started 0.15 s ago: mid second segment
    np.testing.assert_allclose(past.sample(5.0)[0], [1.5, 1.5])
    future = JointTrajectoryController(NAMES, [0.0, 0.0])
    linear = window([0.1, 0.2], [[1.0, 1.0], [2.0, 2.0]])
    future.set_trajectory(linear, now=5.0, stamp=5.4)  # ramps from now to 5.5
    assert future.sample(5.0)[0].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(future.sample(5.25)[0], [0.5, 0.5])
    np.testing.assert_allclose(future.sample(5.55)[0], [1.5, 1.5])


def test_joint_order_follows_the_names():
    c = JointTrajectoryController(NAMES, [0.0, 0.0])
    c.set_trajectory(window([0.1], [[7.0, 3.0]], names=('b', 'a')), now=0.0)
    np.testing.assert_allclose(c.sample(0.2)[0], [3.0, 7.0])


@pytest.mark.parametrize('bad, message', [
    (window([0.1], [[1.0, 1.0]], names=('a', 'c')), 'do not match'),
    (window([], np.zeros((0, 2))), 'empty trajectory'),
    (window([0.2, 0.1], [[1.0, 1.0], [2.0, 2.0]]), 'increasing'),
    (window([0.1], [[np.nan, 1.0]]), 'finite'),
])
def test_rejects_what_the_real_controller_rejects(bad, message):
    c = JointTrajectoryController(NAMES, [0.0, 0.0])
    with pytest.raises(TrajectoryRejected, match=message):
        c.set_trajectory(bad, now=1.0)
    assert c.rejected == 1


def test_rejects_a_trajectory_that_ends_in_the_past():
    c = JointTrajectoryController(NAMES, [0.0, 0.0])
    with pytest.raises(TrajectoryRejected, match='ends in the past'):
        c.set_trajectory(window([0.1], [[1.0, 1.0]]), now=10.0, stamp=9.0)
