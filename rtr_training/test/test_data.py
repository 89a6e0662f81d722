"""Trajectories from real rosbag2 files (written with BagWriter, read back) and .npz files:
message semantics, name ordering, resampling, gaps, windows, splits and every error."""

import numpy as np
import pytest

from rtr_core.bag import BagWriter
from rtr_core.errors import RtrError
from rtr_core.msgs import (
    float64_array_to_msg,
    joint_state_to_msg,
    trajectory_to_msg,
    wrench_to_msg,
)
from rtr_training.data import (
    DataError,
    Trajectory,
    WindowSet,
    load_trajectories,
    resample,
    split_by_trajectory,
)

DT = 1 / 60


def motion(t):
    """A smooth two-joint motion, (N,) times -> (N, 2)."""
    t = np.asarray(t)
    return np.column_stack([np.sin(1.3 * t), 0.5 * np.cos(0.7 * t) + 0.1 * t])


def test_joint_trajectory_action_is_the_first_point_at_receive_time_plus_offset(tmp_path):
    path = tmp_path / 'bag'
    receive = 10.0 + DT * np.arange(90)
    with BagWriter(path) as bag:
        for k, t in enumerate(receive):
            tfs = DT * np.arange(1, 7)  # a window of the next 0.1 s, as the executor streams
            names, pos = ['j1', 'j2'], motion(t + tfs)
            if k % 2:  # a publisher may order joints differently: read by name
                names, pos = names[::-1], pos[:, ::-1]
            bag.write('/jtc/joint_trajectory', trajectory_to_msg(names, tfs, pos, bag.types), t)
            bag.write('/joint_states', joint_state_to_msg(t, ['j1', 'j2'], [0, 0], bag.types), t)
    (traj,) = load_trajectories([path])  # the commanded topic is preferred over /joint_states
    assert traj.names == ('j1', 'j2') and traj.source.endswith(':/jtc/joint_trajectory')
    assert traj.length == 90
    np.testing.assert_allclose(traj.positions, motion(receive + DT), atol=1e-9)


def test_float64_array_at_30hz_is_resampled_to_60hz(tmp_path):
    path = tmp_path / 'bag'
    t30 = 5.0 + np.arange(61) / 30
    with BagWriter(path, storage='sqlite3') as bag:
        for t in t30:
            bag.write('/fwd/commands', float64_array_to_msg(motion(t)[0], bag.types), t)
    (traj,) = load_trajectories([path], dt=DT)
    assert traj.length == 121 and traj.dt == DT and traj.names == ('a0', 'a1')
    grid = 5.0 + DT * np.arange(121)
    np.testing.assert_allclose(traj.positions, motion(grid), atol=1e-5)
    np.testing.assert_allclose(traj.positions[::2], motion(t30), atol=1e-12)
    linear = load_trajectories([path], dt=DT, method='linear')[0]
    assert np.abs(linear.positions - motion(grid)).max() > 10 * np.abs(
        traj.positions - motion(grid)).max(), 'cubic is the accurate resampler'


def test_joint_states_are_ordered_by_name_and_split_at_pauses(tmp_path):
    path = tmp_path / 'bag'
    times = 1.0 + np.concatenate([np.arange(60) * DT, 3.0 + np.arange(80) * DT])
    rng = np.random.default_rng(0)
    with BagWriter(path) as bag:
        for t in times:
            order = rng.permutation(3)
            names = np.array(['elbow', 'shoulder', 'wrist'])[order]
            pos = np.array([1.0, 2.0, 3.0])[order] + t
            # receive time lags the stamp: the header stamp is the measurement time
            bag.write('/joint_states', joint_state_to_msg(t, names, pos, bag.types), t + 0.004)
    first, second = load_trajectories([path], joints=['wrist', 'elbow', 'shoulder'])
    assert first.names == ('wrist', 'elbow', 'shoulder')
    assert (first.length, second.length) == (60, 80)
    np.testing.assert_allclose(second.positions[0], [7.0, 5.0, 6.0], atol=1e-9)
    np.testing.assert_allclose(np.diff(first.positions, axis=0), DT, atol=1e-9)


def test_npz_trajectories_and_names(tmp_path):
    path = tmp_path / 'demos.npz'
    a, b = motion(np.arange(100) * DT), motion(np.arange(70) * DT + 1)
    np.savez(path, demo_a=a, demo_b=b, dt=DT, names=np.array(['x', 'y']))
    trajs = load_trajectories([path])
    assert [t.source for t in trajs] == [f'{path}:demo_a', f'{path}:demo_b']
    np.testing.assert_array_equal(trajs[0].positions, a)
    assert trajs[1].names == ('x', 'y')
    slow = tmp_path / 'slow.npz'
    np.savez(slow, demo=motion(np.arange(50) * 0.05), dt=0.05)
    (up,) = load_trajectories([slow], dt=DT)
    assert up.length == 148
    np.testing.assert_allclose(up.positions, motion(np.arange(148) * DT), atol=1e-4)


def test_errors_name_the_file_and_the_topic_or_key(tmp_path):
    bag_path = tmp_path / 'bag'
    with BagWriter(bag_path) as bag:
        for k in range(3):
            t = k / 30
            bag.write('/wrench', wrench_to_msg(t, np.zeros(6), bag.types), t)
            bag.write('/a/commands', float64_array_to_msg([k], bag.types), t)
            bag.write('/b/commands', float64_array_to_msg([k], bag.types), t)
    with pytest.raises(DataError, match=f'{bag_path}: several action topics'):
        load_trajectories([bag_path])
    with pytest.raises(RtrError, match='topic /missing not in the bag'):
        load_trajectories([bag_path], topic='/missing')
    with pytest.raises(DataError, match='topic /wrench has type geometry_msgs/msg/WrenchStamped'):
        load_trajectories([bag_path], topic='/wrench')
    assert load_trajectories([bag_path], topic='/a/commands')[0].length == 5

    npz = tmp_path / 'bad.npz'
    np.savez(npz, demo=np.zeros((10, 2)))
    with pytest.raises(DataError, match=f'{npz}: key dt .* is missing'):
        load_trajectories([npz])
    np.savez(npz, demo=np.zeros(10), dt=DT)
    with pytest.raises(DataError, match=r'key demo: expected a numeric \(T, D\) array'):
        load_trajectories([npz])
    np.savez(npz, demo=np.full((10, 2), np.nan), dt=DT)
    with pytest.raises(DataError, match='key demo: contains NaN'):
        load_trajectories([npz])
    with pytest.raises(DataError, match='neither a rosbag2 folder nor a .npz file'):
        load_trajectories([tmp_path / 'nothing.csv'])
    other = tmp_path / 'other.npz'
    np.savez(npz, demo=np.zeros((10, 2)), dt=DT)
    np.savez(other, demo=np.zeros((10, 3)), dt=DT)
    with pytest.raises(DataError, match='action names a0, a1, a2 differ'):
        load_trajectories([npz, other])


def test_resample_keeps_a_grid_at_the_rate_unchanged():
    t = 2.0 + DT * np.arange(30)
    x = np.random.default_rng(1).normal(size=(30, 4))
    np.testing.assert_allclose(resample(t, x, DT), x, atol=1e-12)
    with pytest.raises(ValueError, match='strictly increasing'):
        resample(t[::-1], x, DT)


def _traj(n, d=2, offset=0.0, name='t'):
    return Trajectory(offset + np.arange(n * d, dtype=float).reshape(n, d), DT,
                      ('a', 'b')[:d], name)


def test_windows_stay_inside_one_trajectory():
    trajs = [_traj(60, name='a'), _traj(10, name='short'), _traj(50, offset=1e4, name='b')]
    ws = WindowSet(trajs, horizon=48, stride=1)
    assert len(ws) == (60 - 47) + (50 - 47) and ws.skipped == ['short']
    w = ws.windows()
    assert w.shape == (16, 48, 2)
    assert np.all(np.diff(w[..., 0], axis=1) == 2), 'consecutive rows of one trajectory'
    assert len(WindowSet(trajs, horizon=48, stride=4)) == 4 + 1
    with pytest.raises(DataError, match='at least 48 steps'):
        WindowSet([_traj(10)], horizon=48)


def test_split_is_by_whole_trajectories():
    trajs = [_traj(60, name=str(i)) for i in range(20)]
    train, val = split_by_trajectory(trajs, 0.2, seed=3)
    assert len(val) == 4 and len(train) == 16
    assert {t.source for t in train}.isdisjoint({t.source for t in val})
    assert split_by_trajectory(trajs, 0.2, seed=3)[1] == val, 'reproducible'
    with pytest.raises(DataError, match='at least 2 trajectories'):
        split_by_trajectory(trajs[:1], 0.2)
