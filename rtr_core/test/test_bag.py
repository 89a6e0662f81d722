"""Bags written by BagWriter, read back by rosbags and by the independent mcap decoder."""

import os

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from rtr_core.bag import BagError, BagReader, BagWriter
from rtr_core.msgs import (
    chunk_from_msg,
    chunk_to_msg,
    executor_state_to_msg,
    float64_array_to_msg,
    image_to_msg,
    joint_state_to_msg,
    trajectory_to_msg,
    wrench_to_msg,
)


def write_all_types(path, chunk, executor_state, types, storage='mcap'):
    rgb = np.random.default_rng(2).integers(0, 255, size=(8, 8, 3), dtype=np.uint8)
    with BagWriter(path, storage=storage) as bag:
        for k in range(5):
            t = 10.0 + k / 60
            bag.write('/joint_states', joint_state_to_msg(t, ['a', 'b'], [k, -k], types), t)
            bag.write('/wrench', wrench_to_msg(t, [k, 0, 0, 0, 0, 1], types), t)
        bag.write('/camera/camera/color/image_raw', image_to_msg(10.0, rgb, types), 10.0)
        bag.write('/rtr/action_chunk', chunk_to_msg(chunk, types), 10.02)
        bag.write('/rtr/executor_state', executor_state_to_msg(executor_state, types), 10.03)
        bag.write('/jtc/joint_trajectory',
                  trajectory_to_msg(['a', 'b'], [0.1, 0.2], [[0, 1], [2, 3]], types), 10.04)
        bag.write('/fwd/commands', float64_array_to_msg([1.0, 2.0], types), 10.05)
    return rgb


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_write_then_read_back(tmp_path, chunk, executor_state, types, storage):
    path = tmp_path / 'bag'
    write_all_types(path, chunk, executor_state, types, storage)
    assert not any(p.name.startswith('.') for p in tmp_path.iterdir()), 'partial folder left'
    with BagReader(path) as bag:
        assert bag.topics['/rtr/action_chunk'] == 'rtr_msgs/msg/ActionChunk'
        assert bag.message_counts['/joint_states'] == 5
        msgs = list(bag.messages())
    assert [m.time for m in msgs] == sorted(m.time for m in msgs)
    states = [m.msg for m in msgs if m.topic == '/joint_states']
    assert [list(s.position) for s in states] == [[k, -k] for k in range(5)]
    back = chunk_from_msg(next(m.msg for m in msgs if m.topic == '/rtr/action_chunk'))
    np.testing.assert_array_equal(back.positions, chunk.positions)


def test_mcap_decoder_reads_identical_values(tmp_path, chunk, executor_state, types):
    path = tmp_path / 'bag'
    rgb = write_all_types(path, chunk, executor_state, types)
    (mcap_file,) = path.glob('*.mcap')
    seen = {}
    with open(mcap_file, 'rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        for _, channel, message, decoded in reader.iter_decoded_messages():
            seen.setdefault(channel.topic, []).append((message.log_time, decoded))
    ours = {}
    with BagReader(path) as bag:
        for m in bag.messages():
            ours.setdefault(m.topic, []).append(m)
    assert set(seen) == set(ours)
    for topic in seen:
        assert [t for t, _ in seen[topic]] == [round(m.time * 1e9) for m in ours[topic]]
    c = seen['/rtr/action_chunk'][0][1]
    np.testing.assert_array_equal(np.asarray(c.positions, dtype=np.float32).reshape(48, 7),
                                  chunk.positions.astype(np.float32))
    assert c.chunk_id == 42 and list(c.joint_names) == list(chunk.joint_names)
    assert list(c.latent_shape) == [12, 8]
    img = seen['/camera/camera/color/image_raw'][0][1]
    np.testing.assert_array_equal(np.frombuffer(bytes(img.data), np.uint8).reshape(8, 8, 3), rgb)
    state = seen['/rtr/executor_state'][0][1]
    assert state.strategy == 'rtr' and state.tick == 750
    np.testing.assert_array_equal(np.asarray(state.position), executor_state.position)
    w = seen['/wrench'][4][1].wrench
    assert (w.force.x, w.torque.z) == (4.0, 1.0)
    traj = seen['/jtc/joint_trajectory'][0][1]
    assert [list(p.positions) for p in traj.points] == [[0, 1], [2, 3]]
    assert list(seen['/fwd/commands'][0][1].data) == [1.0, 2.0]


def test_failed_write_leaves_nothing(tmp_path, types):
    path = tmp_path / 'bag'
    with pytest.raises(RuntimeError, match='boom'):
        with BagWriter(path) as bag:
            bag.write('/x', float64_array_to_msg([1.0], types), 0.0)
            raise RuntimeError('boom')
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_and_to_mix_types(tmp_path, types):
    path = tmp_path / 'bag'
    with BagWriter(path) as bag:
        bag.write('/x', float64_array_to_msg([1.0], types), 0.0)
        with pytest.raises(BagError, match='/x has type std_msgs/msg/Float64MultiArray'):
            bag.write('/x', wrench_to_msg(0, np.zeros(6), types), 0.1)
    with pytest.raises(BagError, match='exists already'):
        BagWriter(path)


def test_missing_topic_and_wrong_type_name_the_bag(tmp_path, types):
    path = tmp_path / 'bag'
    with BagWriter(path) as bag:
        bag.write('/joint_states', joint_state_to_msg(0, ['a'], [0], types), 0.0)
    with BagReader(path) as bag:
        missing = r'bag: topic /wrench not in the bag; it has /joint_states'
        with pytest.raises(BagError, match=missing):
            list(bag.messages(['/wrench']))
        with pytest.raises(BagError, match='has type sensor_msgs/msg/JointState, expected'):
            bag.require('/joint_states', 'geometry_msgs/msg/WrenchStamped')


def test_not_a_bag(tmp_path):
    with pytest.raises(BagError, match='no such rosbag2 folder'):
        BagReader(tmp_path / 'nope')
    with pytest.raises(BagError, match='no metadata.yaml'):
        BagReader(tmp_path)


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_truncated_bag_gives_a_clear_error(tmp_path, chunk, executor_state, types, storage):
    path = tmp_path / 'bag'
    write_all_types(path, chunk, executor_state, types, storage)
    (data_file,) = [p for p in path.iterdir() if p.suffix in ('.mcap', '.db3')]
    size = data_file.stat().st_size
    with open(data_file, 'r+b') as f:
        f.truncate(size // 2)
    with pytest.raises(BagError, match=str(path)):
        with BagReader(path) as bag:
            list(bag.messages())


def test_custom_types_are_read_from_the_stored_definition(tmp_path):
    """A user's bag with a message type we do not know is decoded from its stored msgdef."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.ROS2_JAZZY)
    store.register(get_types_from_msg('float64 grip\nstring label', 'user_msgs/msg/Gripper'))
    cls = store.types['user_msgs/msg/Gripper']
    path = tmp_path / 'userbag'
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as w:
        conn = w.add_connection('/gripper', 'user_msgs/msg/Gripper', typestore=store)
        w.write(conn, 5, store.serialize_cdr(cls(grip=0.25, label='open'),
                                             'user_msgs/msg/Gripper'))
    with BagReader(path) as bag:
        (m,) = list(bag.messages())
    assert (m.msg.grip, m.msg.label) == (0.25, 'open')
    assert os.path.isdir(path)


def test_custom_data_round_trips_through_metadata_yaml(tmp_path, types):
    path = tmp_path / 'bag'
    with BagWriter(path) as bag:
        bag.write('/x', float64_array_to_msg([1.0], types), 0.0)
        bag.set_custom_data('rtr.episode', '{"task": "write", "success": true}')
        with pytest.raises(BagError, match='must be strings'):
            bag.set_custom_data('n', 3)
    assert 'rtr.episode' in (path / 'metadata.yaml').read_text()
    with BagReader(path) as bag:
        assert bag.custom_data == {'rtr.episode': '{"task": "write", "success": true}'}
    plain = tmp_path / 'plain'
    with BagWriter(plain) as bag:
        bag.write('/x', float64_array_to_msg([1.0], types), 0.0)
    with BagReader(plain) as bag:
        assert bag.custom_data == {}


@pytest.mark.parametrize('storage, suffix', [('mcap', '.mcap'), ('sqlite3', '.db3')])
def test_storage_file_is_named_after_the_bag(tmp_path, types, storage, suffix):
    """Tools such as `ros2 bag reindex` expect <bag>/<bag>_0.<ext> or <bag>.<ext>, not a
    hidden temporary name."""
    path = tmp_path / 'episode_0007'
    with BagWriter(path, storage=storage) as bag:
        bag.write('/x', float64_array_to_msg([1.0], types), 0.0)
    files = [p.name for p in path.iterdir() if p.suffix == suffix]
    assert files and all(name.startswith('episode_0007') for name in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['episode_0007']
