"""numpy -> message -> CDR bytes -> message -> numpy, for every type we use."""

import array

import numpy as np
import pytest

from rtr_core.msgs import (
    MessageFormatError,
    camera_info_to_msg,
    chunk_from_msg,
    chunk_to_msg,
    executor_state_from_msg,
    executor_state_to_msg,
    float64_array_from_msg,
    float64_array_to_msg,
    image_from_msg,
    image_to_msg,
    joint_state_from_msg,
    joint_state_to_msg,
    msg_dir,
    seconds_from_time,
    time_from_seconds,
    trajectory_from_msg,
    trajectory_to_msg,
    typestore,
    wrench_from_msg,
    wrench_to_msg,
)
from rtr_core.msgs.types import TYPE_NAMES, MessageTypes


def cdr_round_trip(msg):
    store = typestore()
    raw = store.serialize_cdr(msg, msg.__msgtype__)
    return store.deserialize_cdr(raw, msg.__msgtype__)


def test_types_come_from_the_msg_files():
    assert (msg_dir() / 'ActionChunk.msg').is_file()
    fields = typestore().get_msgdef('rtr_msgs/msg/ActionChunk').fields
    names = [f[0] for f in fields]
    text = (msg_dir() / 'ActionChunk.msg').read_text()
    for name in names:
        assert name in text
    assert 'positions' in names and 'latent_shape' in names


def test_every_type_is_available(types):
    for short, full in TYPE_NAMES.items():
        assert getattr(types, short).__msgtype__ == full


def test_chunk_round_trip(chunk, types):
    back = chunk_from_msg(cdr_round_trip(chunk_to_msg(chunk, types)))
    assert back.chunk_id == 42 and back.joint_names == chunk.joint_names
    np.testing.assert_array_equal(back.positions, chunk.positions)
    np.testing.assert_array_equal(back.velocities, chunk.velocities)
    np.testing.assert_array_equal(back.latent, chunk.latent)
    assert abs(back.stamp - chunk.stamp) < 1e-6
    assert abs(back.start_time - chunk.start_time) < 1e-6
    assert abs(back.dt - 1 / 60) < 1e-9
    assert back.policy_name == 'latent_diffusion' and back.policy_version == 'abc123'
    assert abs(back.inference_duration - 0.0125) < 1e-9


def test_chunk_without_optional_fields(chunk, types):
    from dataclasses import replace

    bare = replace(chunk, velocities=None, latent=None)
    back = chunk_from_msg(cdr_round_trip(chunk_to_msg(bare, types)))
    assert back.velocities is None and back.latent is None


def test_executor_state_round_trip(executor_state, types):
    back = executor_state_from_msg(cdr_round_trip(executor_state_to_msg(executor_state, types)))
    np.testing.assert_array_equal(back.position, executor_state.position)
    np.testing.assert_array_equal(back.velocity, executor_state.velocity)
    for field in ('tick', 'planned_actions_left', 'chunk_id', 'inference_requested', 'strategy',
                  'mode', 'chunks_rejected', 'clamped_ticks', 'last_rejection_reason',
                  'last_rejected_chunk_id'):
        assert getattr(back, field) == getattr(executor_state, field), field
    assert abs(back.control_period - 1 / 60) < 1e-9


def test_joint_state_round_trip(types):
    pos, vel = np.array([0.1, -0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    msg = joint_state_to_msg(3.25, ['a', 'b', 'c'], pos, types, velocity=vel)
    stamp, names, p, v = joint_state_from_msg(cdr_round_trip(msg))
    assert stamp == 3.25 and names == ('a', 'b', 'c')
    np.testing.assert_array_equal(p, pos)
    np.testing.assert_array_equal(v, vel)
    _, _, _, v = joint_state_from_msg(cdr_round_trip(joint_state_to_msg(0, ['a'], [1], types)))
    assert v is None


def test_trajectory_round_trip(types):
    t = np.array([0.0, 1 / 60, 2 / 60, 0.1])
    pos = np.arange(8, dtype=float).reshape(4, 2)
    vel = -pos
    msg = trajectory_to_msg(['a', 'b'], t, pos, types, velocities=vel)
    stamp, names, t2, p2, v2 = trajectory_from_msg(cdr_round_trip(msg))
    assert stamp == 0.0 and names == ('a', 'b')
    np.testing.assert_allclose(t2, t, atol=1e-9)
    np.testing.assert_array_equal(p2, pos)
    np.testing.assert_array_equal(v2, vel)


def test_trajectory_rejects_non_increasing_times(types):
    with pytest.raises(MessageFormatError, match='strictly increasing'):
        trajectory_to_msg(['a'], [0.0, 0.0], [[0.0], [1.0]], types)


def test_image_and_camera_info_round_trip(types):
    rgb = np.random.default_rng(1).integers(0, 255, size=(96, 96, 3), dtype=np.uint8)
    back = image_from_msg(cdr_round_trip(image_to_msg(1.5, rgb, types)))
    np.testing.assert_array_equal(back, rgb)
    info = cdr_round_trip(camera_info_to_msg(1.5, 96, 96, 80.0, 80.0, 48.0, 48.0, types))
    assert info.width == 96 and list(info.k) == [80.0, 0, 48.0, 0, 80.0, 48.0, 0, 0, 1]


def test_image_bgr_and_padding(types):
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    padded = np.zeros((2, 12), dtype=np.uint8)
    padded[:, :9] = rgb[:, :, ::-1].reshape(2, 9)
    msg = types.Image(header=types.Header(stamp=types.Time(sec=0, nanosec=0), frame_id=''),
                      height=2, width=3, encoding='bgr8', is_bigendian=0, step=12,
                      data=padded.reshape(-1))
    np.testing.assert_array_equal(image_from_msg(msg), rgb)


def test_wrench_round_trip(types):
    w = np.array([1.0, -2.0, 3.0, 0.1, 0.2, -0.3])
    stamp, back = wrench_from_msg(cdr_round_trip(wrench_to_msg(2.0, w, types)))
    assert stamp == 2.0
    np.testing.assert_array_equal(back, w)


def test_float64_multiarray_round_trip(types):
    v = np.array([0.5, 1.5, -2.5])
    back = float64_array_from_msg(cdr_round_trip(float64_array_to_msg(v, types)))
    np.testing.assert_array_equal(back, v)


def test_time_conversion_is_exact_to_the_nanosecond(types):
    t = time_from_seconds(1700000000.000000001, types)
    assert t.sec == 1700000000
    assert seconds_from_time(time_from_seconds(2.999999999, types)) == pytest.approx(2.999999999)
    assert time_from_seconds(0.9999999999, types).nanosec < 1_000_000_000


def test_rclpy_array_convention():
    """rclpy classes take array.array for primitive arrays, never numpy arrays."""
    types = MessageTypes(MessageTypes.from_rosbags().classes, numpy_arrays=False)
    value = types.array(np.array([1.5, 2.5]), np.float32)
    assert isinstance(value, array.array) and value.typecode == 'f'
    assert list(value) == [1.5, 2.5]
    assert types.array([7, 8], np.uint8).typecode == 'B'
    with pytest.raises(ValueError, match='missing classes'):
        MessageTypes.from_modules(ActionChunk=object)


# --- malformed input ----------------------------------------------------------------------


def test_positions_length_must_match_declared_shape(chunk, types):
    msg = chunk_to_msg(chunk, types)
    msg.positions = msg.positions[:-1]
    with pytest.raises(MessageFormatError, match=r'ActionChunk\.positions: expected 336'):
        chunk_from_msg(msg)


def test_velocities_and_latent_lengths_are_checked(chunk, types):
    msg = chunk_to_msg(chunk, types)
    msg.velocities = msg.velocities[:5]
    with pytest.raises(MessageFormatError, match=r'ActionChunk\.velocities'):
        chunk_from_msg(msg)
    msg = chunk_to_msg(chunk, types)
    msg.latent_shape = np.array([12, 9], dtype=np.uint32)
    with pytest.raises(MessageFormatError, match=r'ActionChunk\.latent: latent_shape \[12, 9\]'):
        chunk_from_msg(msg)


def test_duplicate_or_missing_joint_names_are_rejected(chunk, types):
    msg = chunk_to_msg(chunk, types)
    msg.joint_names = ['joint_1'] * 7
    with pytest.raises(MessageFormatError, match='duplicate'):
        chunk_from_msg(msg)
    msg.joint_names = []
    with pytest.raises(MessageFormatError, match='at least one joint'):
        chunk_from_msg(msg)


def test_bad_arrays_are_refused_when_building(types):
    with pytest.raises(MessageFormatError, match=r'Chunk\.positions'):
        from rtr_core.chunk import Chunk

        chunk_to_msg(Chunk(0, 0, 0.1, ('a', 'b'), np.zeros((4, 3))), types)
    with pytest.raises(MessageFormatError, match='image'):
        image_to_msg(0, np.zeros((4, 4), dtype=np.uint8), types)
    with pytest.raises(MessageFormatError, match='wrench'):
        wrench_to_msg(0, [1, 2, 3], types)
    with pytest.raises(MessageFormatError, match='finite'):
        time_from_seconds(float('nan'), types)


def _raw_image(types, encoding, height, width, step, rows):
    return types.Image(header=types.Header(stamp=types.Time(sec=0, nanosec=0), frame_id=''),
                       height=height, width=width, encoding=encoding, is_bigendian=0,
                       step=step, data=np.asarray(rows, dtype=np.uint8).reshape(-1))


@pytest.mark.parametrize('encoding, pixel', [
    # the bytes of one pixel whose colour is R=10, G=20, B=30 (alpha 99), as cameras lay it out
    ('rgb8', [10, 20, 30]), ('bgr8', [30, 20, 10]),
    ('rgba8', [10, 20, 30, 99]), ('bgra8', [30, 20, 10, 99]),
])
def test_image_encodings_from_known_byte_layouts(types, encoding, pixel):
    # 2 rows of 3 pixels; pixel (r, c) is the colour (10, 20, 30) + 40 r + c, rows padded by 5
    n = len(pixel)
    rows = []
    for r in range(2):
        row = []
        for c in range(3):
            row += [v + 40 * r + c if i < 3 else v for i, v in enumerate(pixel)]
        rows.append(row + [255] * 5)
    rgb = image_from_msg(_raw_image(types, encoding, 2, 3, 3 * n + 5, rows))
    expected = np.array([[[10 + 40 * r + c, 20 + 40 * r + c, 30 + 40 * r + c]
                          for c in range(3)] for r in range(2)], dtype=np.uint8)
    assert rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    np.testing.assert_array_equal(rgb, expected)


def test_mono8_is_replicated_to_three_channels(types):
    rows = [[0, 7, 255, 1], [9, 8, 6, 1]]  # width 3, one byte of padding per row
    rgb = image_from_msg(_raw_image(types, 'mono8', 2, 3, 4, rows))
    np.testing.assert_array_equal(rgb, np.repeat(np.array([[0, 7, 255], [9, 8, 6]],
                                                          np.uint8)[:, :, None], 3, axis=2))


def test_image_data_as_rclpy_gives_it(types):
    """rclpy hands uint8[] fields over as array.array or bytes, not numpy."""
    import array

    rgb = np.random.default_rng(2).integers(0, 255, size=(4, 5, 3), dtype=np.uint8)
    msg = image_to_msg(0.0, rgb, types)
    for data in (array.array('B', rgb.tobytes()), rgb.tobytes(), list(rgb.tobytes())):
        msg.data = data
        np.testing.assert_array_equal(image_from_msg(msg), rgb)


@pytest.mark.parametrize('encoding', ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8'])
def test_image_conversion_matches_cv_bridge(types, encoding):
    cv_bridge = pytest.importorskip('cv_bridge', reason='cv_bridge is not installed')
    channels = {'mono8': 1, 'rgba8': 4, 'bgra8': 4}.get(encoding, 3)
    rows = np.random.default_rng(3).integers(0, 255, size=(7, 5 * channels + 3), dtype=np.uint8)
    msg = _raw_image(types, encoding, 7, 5, 5 * channels + 3, rows)
    expected = cv_bridge.CvBridge().imgmsg_to_cv2(msg, desired_encoding='rgb8')
    np.testing.assert_array_equal(image_from_msg(msg), expected)


def test_truncated_image_data_is_refused(types):
    msg = image_to_msg(0, np.zeros((4, 4, 3), dtype=np.uint8), types)
    msg.data = msg.data[:-3]
    with pytest.raises(MessageFormatError, match='Image.data'):
        image_from_msg(msg)
    msg.encoding = '16UC1'
    with pytest.raises(MessageFormatError, match='Image.encoding'):
        image_from_msg(msg)


def test_missing_msg_files_give_a_clear_error(monkeypatch, tmp_path):
    from rtr_core.msgs import definitions as ts_module

    monkeypatch.setattr(ts_module, '_candidate_dirs', lambda: [tmp_path])
    with pytest.raises(ts_module.MessageDefinitionError, match='RTR_MSGS_PATH'):
        ts_module.msg_dir()


def test_trajectory_window_round_trip(types):
    from rtr_core.msgs import window_from_msg, window_to_msg
    from rtr_core.trajectory import TrajectoryWindow

    t = np.arange(10) / 60
    pos = np.column_stack([np.sin(t), t**2])
    win = TrajectoryWindow.from_samples(['a', 'b'], pos, 1 / 60)
    np.testing.assert_allclose(win.times_from_start[0], 1 / 60)
    np.testing.assert_allclose(win.velocities[3], [np.cos(t[3]), 2 * t[3]], rtol=1e-3)
    back = window_from_msg(cdr_round_trip(window_to_msg(win, types)))
    np.testing.assert_array_equal(back.positions, pos)
    np.testing.assert_allclose(back.times_from_start, win.times_from_start, atol=1e-9)


def test_ros_package_classes_are_found_by_type_name(monkeypatch):
    """Inside ROS, classes come from the generated <package>.msg modules."""
    import sys
    import types as pytypes

    for full in TYPE_NAMES.values():
        package, _, name = full.split('/')
        module = sys.modules.get(f'{package}.msg') or pytypes.ModuleType(f'{package}.msg')
        # monkeypatch: with ROS installed the real module may be imported already
        monkeypatch.setattr(module, name, type(name, (), {}), raising=False)
        monkeypatch.setitem(sys.modules, f'{package}.msg', module)
    ros = MessageTypes.from_ros_packages()
    assert not ros.numpy_arrays
    assert ros.ActionChunk.__name__ == 'ActionChunk'
    assert sys.modules['trajectory_msgs.msg'].JointTrajectoryPoint is ros.JointTrajectoryPoint


def test_action_from_each_stream_type(types):
    from rtr_core.msgs import action_from_msg

    traj = trajectory_to_msg(['b', 'a'], [1 / 60, 2 / 60], [[1.0, 2.0], [3.0, 4.0]], types)
    t, names, values = action_from_msg(cdr_round_trip(traj), 5.0)
    assert t == pytest.approx(5.0 + 1 / 60) and names == ('b', 'a')
    np.testing.assert_array_equal(values, [1.0, 2.0])
    t, names, values = action_from_msg(float64_array_to_msg([7.0, 8.0], types), 6.0)
    assert (t, names, list(values)) == (6.0, ('a0', 'a1'), [7.0, 8.0])
    t, names, values = action_from_msg(joint_state_to_msg(4.0, ['x'], [0.5], types), 9.0)
    assert (t, names, list(values)) == (4.0, ('x',), [0.5])
    with pytest.raises(MessageFormatError, match='no action in a'):
        action_from_msg(wrench_to_msg(0, np.zeros(6), types), 0.0)
