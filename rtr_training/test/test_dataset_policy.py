"""Policy datasets from real rosbag2 files: alignment, camera matching, cache, clear errors."""

import numpy as np
import pytest

from rtr_core.bag import BagWriter
from rtr_core.errors import RtrError
from rtr_core.msgs import (
    MessageTypes,
    image_to_msg,
    joint_state_to_msg,
    trajectory_to_msg,
    wrench_to_msg,
)
from rtr_core.policy import ObservationContract
from rtr_core.topics import Topics
from rtr_training.data import DataError
from rtr_training.dataset import PolicyDataset, find_bags, load_episode, read_episode

T = Topics()
JOINTS = ('a', 'b')
DT = 1 / 60


def _contract(**kw):
    return ObservationContract(image=ObservationContract().image.__class__(height=8, width=8),
                               **kw)


def _write(path, ticks=60, camera_every=2, skip=(), gap=None, image_size=8, extra_joint=True):
    """A bag like a robot's recording: commands at 60 Hz, joint states and wrench at 60 Hz,
    camera every ``camera_every`` ticks; the frame's pixels encode its tick."""
    types = MessageTypes.from_rosbags()
    with BagWriter(path) as bag:
        for k in range(ticks):
            t = 10.0 + k * DT
            if gap is not None and gap[0] <= k < gap[1]:
                continue
            if 'trajectory' not in skip:
                positions = np.array([[k, -k]], dtype=float)
                bag.write(T.joint_trajectory,
                          trajectory_to_msg(JOINTS, [DT], positions, types), t)
            names = ('extra', *JOINTS) if extra_joint else JOINTS
            q = [99.0, k - 0.5, 0.5 - k] if extra_joint else [k - 0.5, 0.5 - k]
            bag.write(T.joint_states, joint_state_to_msg(t, names, q, types), t)
            if 'wrench' not in skip:
                bag.write(T.wrench, wrench_to_msg(t, [k, 0, 0, 0, 0, 0], types), t)
            if k % camera_every == 0 and 'camera' not in skip:
                img = np.full((image_size, image_size, 3), k, dtype=np.uint8)
                bag.write(T.camera_image, image_to_msg(t, img, types), t)
    return path


def test_inputs_are_aligned_to_the_action_ticks(tmp_path):
    ep = read_episode(_write(tmp_path / 'ep'), _contract())
    assert ep.joint_names == JOINTS  # the order of the commands; 'extra' is dropped
    np.testing.assert_allclose(np.diff(ep.times), DT)
    k = np.rint((ep.times - 10.0 - DT) / DT).astype(int)  # tick at which each was sent
    np.testing.assert_array_equal(ep.actions[:, 0], k)
    # the observation before action k is the state at tick k (its target is one period later)
    np.testing.assert_array_equal(ep.joint_positions[:, 0], k - 0.5)
    np.testing.assert_array_equal(ep.wrench[:, 0], k)
    # 30 Hz camera: the latest frame at or before the tick, never a future one
    frame_ticks = ep.frames[ep.frame_index, 0, 0, 0].astype(int)
    np.testing.assert_array_equal(frame_ticks, k - k % 2)


def test_samples_hold_the_next_horizon_actions_padded_at_the_end(tmp_path):
    ds = PolicyDataset.from_bags([_write(tmp_path / 'ep', ticks=30)], _contract(), horizon=8,
                                 cache_dir=tmp_path / 'cache')
    w = ds.windows()
    np.testing.assert_array_equal(w[0, :, 0], np.arange(1, 9))
    np.testing.assert_array_equal(w[-1, :, 0], np.full(8, 29))  # the robot holds at the end
    obs = ds.observation(3)
    assert obs.stamp == pytest.approx(10.0 + 3 * DT)
    assert obs.joint_positions[0] == 2.5 and obs.image.shape == (8, 8, 3)


def test_a_folder_of_bags_is_cached_after_the_first_pass(tmp_path):
    for i in range(2):
        _write(tmp_path / 'bags' / f'ep{i}', ticks=20)
    assert [b.name for b in find_bags([tmp_path / 'bags'])] == ['ep0', 'ep1']
    cache = tmp_path / 'cache'
    first = PolicyDataset.from_bags([tmp_path / 'bags'], _contract(), 4, cache_dir=cache)
    assert len(list(cache.glob('*.npz'))) == 2
    (tmp_path / 'bags' / 'ep0' / 'metadata.yaml').rename(tmp_path / 'moved.yaml')
    with pytest.raises(RtrError, match='ep0'):
        load_episode(tmp_path / 'bags' / 'ep0', _contract(), cache)  # bag changed: re-read
    second = load_episode(tmp_path / 'bags' / 'ep1', _contract(), cache)
    np.testing.assert_array_equal(second.frames, first.episodes[1].frames)
    assert second.joint_names == JOINTS
    other = load_episode(tmp_path / 'bags' / 'ep1', _contract(wrench=None), cache)
    assert other.wrench is None and len(list(cache.glob('*.npz'))) == 3


def test_errors_name_the_bag_and_the_topic(tmp_path):
    bag = _write(tmp_path / 'nowrench', skip=('wrench',))
    with pytest.raises(RtrError, match=f'nowrench: topic {T.wrench} not in the bag'):
        read_episode(bag, _contract())
    assert read_episode(bag, _contract(wrench=None)).wrench is None  # the contract decides
    bag = _write(tmp_path / 'gap', gap=(30, 40))
    with pytest.raises(DataError, match=f'gap: topic {T.joint_trajectory}: gap of 0.183 s'):
        read_episode(bag, _contract())
    bag = _write(tmp_path / 'slowcam', camera_every=12)
    with pytest.raises(DataError, match=f'slowcam: topic {T.camera_image}: no message for '
                                        r'0.1\d+ s .*image.max_age_s=0.1'):
        read_episode(bag, _contract())
    bag = _write(tmp_path / 'bigcam', image_size=16)
    with pytest.raises(DataError, match='bigcam: topic .*image 16x16, the contract expects 8x8'):
        read_episode(bag, _contract())
    with pytest.raises(DataError, match='no such rosbag2 folder'):
        find_bags([tmp_path / 'missing'])


def test_the_shipped_contract_is_the_default_and_typos_are_named(tmp_path):
    from pathlib import Path

    shipped = Path(__file__).parents[1] / 'config' / 'observation_contract.yaml'
    assert ObservationContract.load(shipped) == ObservationContract()
    bad = tmp_path / 'contract.yaml'
    bad.write_text('wrench: null\nimage:\n  hieght: 64\n')
    with pytest.raises(RtrError, match='contract.yaml: image.hieght: unknown key for ImageInput'):
        ObservationContract.load(bad)
    bad.write_text('wrench: null\n')
    assert ObservationContract.load(bad).inputs == ('image', 'joint_positions')
