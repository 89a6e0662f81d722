"""A recorded episode: topics, types, rates, image size, the JTC contract, the traced path."""

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from rtr_core.bag import BagReader
from rtr_core.msgs import image_from_msg, joint_state_from_msg, seconds_from_time
from rtr_core.topics import TOPICS
from rtr_sim.arm import Kinematics
from rtr_sim.recording import RecordConfig, read_episode_metadata, record_dataset
from rtr_sim.recording import episode as episode_module
from rtr_sim.runner import build_model
from rtr_sim.tasks import WriteConfig, make_task
from rtr_sim.tasks.base import nearest_distances

CONFIG = RecordConfig(task='write', seed=7,
                      task_config=WriteConfig(shapes=('Angle',), speed=(1.25, 1.25)))


@pytest.fixture(scope='module')
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp('rec')
    metas = record_dataset(out, 1, CONFIG, workers=1, progress=False)
    return out / 'write_0000', metas[0]


def test_topics_types_and_metadata(recorded):
    path, meta = recorded
    assert sorted(p.name for p in path.parent.iterdir()) == ['write_0000']
    with BagReader(path) as bag:
        for field, msgtype in [('joint_states', 'sensor_msgs/msg/JointState'),
                               ('wrench', 'geometry_msgs/msg/WrenchStamped'),
                               ('camera_image', 'sensor_msgs/msg/Image'),
                               ('camera_info', 'sensor_msgs/msg/CameraInfo'),
                               ('joint_trajectory', 'trajectory_msgs/msg/JointTrajectory')]:
            bag.require(getattr(TOPICS, field), msgtype)
    assert read_episode_metadata(path) == meta
    assert meta['success'] and meta['params']['shape'] == 'Angle'
    assert meta['joint_names'] == [f'joint_{i}' for i in range(1, 8)]


def test_rates_stamps_and_image_size(recorded):
    path, meta = recorded
    with BagReader(path) as bag:
        msgs = list(bag.messages())
    by_topic = {}
    for m in msgs:
        by_topic.setdefault(m.topic, []).append(m)
    for topic, rate in [(TOPICS.joint_states, 60), (TOPICS.wrench, 60),
                        (TOPICS.joint_trajectory, 60), (TOPICS.camera_image, 30),
                        (TOPICS.camera_info, 30)]:
        times = np.array([m.time for m in by_topic[topic]])
        np.testing.assert_allclose(np.diff(times), 1 / rate, atol=1e-6, err_msg=topic)
    for m in by_topic[TOPICS.joint_states]:
        stamp, names, pos, vel = joint_state_from_msg(m.msg)
        assert stamp == pytest.approx(m.time, abs=1e-9) and vel is not None
    image = by_topic[TOPICS.camera_image][0].msg
    assert (image.height, image.width, image.encoding) == (96, 96, 'rgb8')
    rgb = image_from_msg(image)
    assert rgb.std() > 10  # a real rendered scene, not a blank frame
    info = by_topic[TOPICS.camera_info][0].msg
    assert (info.height, info.width) == (96, 96) and info.k[0] > 0
    assert by_topic[TOPICS.wrench][0].msg.header.frame_id == 'ft_sensor'


def test_commanded_stream_contract(recorded):
    """Each JTC message: stamp 0, first point = next tick's target at 1/60 s, and the action
    sequence read as first points reproduces what the arm did."""
    path, _ = recorded
    with BagReader(path) as bag:
        trajs = list(bag.messages([TOPICS.joint_trajectory]))
        states = list(bag.messages([TOPICS.joint_states]))
    firsts = []
    for m in trajs:
        assert seconds_from_time(m.msg.header.stamp) == 0.0
        first = m.msg.points[0]
        assert seconds_from_time(first.time_from_start) == pytest.approx(1 / 60, abs=1e-9)
        assert len(first.velocities) == 7
        firsts.append(np.asarray(first.positions))
    measured = np.array([joint_state_from_msg(s.msg)[2] for s in states])
    # action sent at tick k targets tick k+1: compare with the state measured at tick k+1
    assert np.max(np.abs(np.array(firsts) - measured[1:])) < 5e-3


def test_traced_path_matches_the_reference(recorded):
    """Forward kinematics of the recorded joint states traces the reference shape."""
    path, meta = recorded
    with BagReader(path) as bag:
        states = [joint_state_from_msg(m.msg) for m in bag.messages([TOPICS.joint_states])]
    times = np.array([s[0] for s in states])
    t0, t1 = meta['contact_window']
    inside = (times >= t0) & (times <= t1)
    kin = Kinematics(build_model(make_task('write')))
    tips = kin.tip_positions(np.array([s[2] for s in states])[inside])
    ref = np.array(meta['reference'])
    assert nearest_distances(ref[:, :2], tips[:, :2]).max() < 0.002  # every bit drawn
    assert nearest_distances(tips[:, :2], ref[:, :2]).max() < 0.002  # nothing else
    assert np.all(tips[:, 2] < ref[0, 2])  # pressed into the board


def test_mcap_decoder_reads_the_bag(recorded):
    path, _ = recorded
    (mcap_file,) = path.glob('*.mcap')
    counts = {}
    with open(mcap_file, 'rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        for _, channel, _, decoded in reader.iter_decoded_messages():
            counts[channel.topic] = counts.get(channel.topic, 0) + 1
            if channel.topic == TOPICS.camera_image:
                assert len(decoded.data) == 96 * 96 * 3
    with BagReader(path) as bag:
        assert counts == bag.message_counts


def test_resume_skips_done_episodes_and_a_failure_leaves_no_partial(recorded, monkeypatch):
    path, meta = recorded
    mtime = path.stat().st_mtime_ns

    def boom(*args, **kwargs):
        raise RuntimeError('simulated crash')

    monkeypatch.setattr(episode_module, 'wrench_to_msg', boom)
    with pytest.raises(RuntimeError, match='simulated crash'):
        record_dataset(path.parent, 2, CONFIG, workers=1, progress=False)
    assert sorted(p.name for p in path.parent.iterdir()) == ['write_0000']
    assert path.stat().st_mtime_ns == mtime
    monkeypatch.undo()
    metas = record_dataset(path.parent, 1, CONFIG, workers=1, progress=False)
    assert metas == [meta]
