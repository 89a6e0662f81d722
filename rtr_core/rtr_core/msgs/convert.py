"""numpy <-> ROS 2 message conversions, for rosbags and rclpy classes alike.

``*_to_msg`` functions take a :class:`~rtr_core.msgs.types.MessageTypes` that says which
classes to build; ``*_from_msg`` functions only read fields by name. Times are float seconds
on the numpy side and ``builtin_interfaces`` Time/Duration on the message side.
"""

from __future__ import annotations

import math

import numpy as np

from ..chunk import Chunk
from ..errors import RtrError
from ..executor.state import ExecutorState
from ..trajectory import TrajectoryWindow
from .types import MessageTypes


class MessageFormatError(RtrError, ValueError):
    """A message whose fields are inconsistent (e.g. an array length that does not match)."""


# --- time -------------------------------------------------------------------------------


def _split_ns(seconds: float) -> tuple[int, int]:
    if not math.isfinite(seconds):
        raise MessageFormatError(f'time must be finite, got {seconds}')
    total = int(round(seconds * 1e9))
    return total // 1_000_000_000, total % 1_000_000_000


def time_from_seconds(seconds: float, types: MessageTypes):
    """``builtin_interfaces/Time`` for a time in seconds."""
    sec, nanosec = _split_ns(seconds)
    return types.Time(sec=sec, nanosec=nanosec)


def duration_from_seconds(seconds: float, types: MessageTypes):
    """``builtin_interfaces/Duration`` for a duration in seconds."""
    sec, nanosec = _split_ns(seconds)
    return types.Duration(sec=sec, nanosec=nanosec)


def seconds_from_time(msg) -> float:
    """Seconds of a ``builtin_interfaces`` Time or Duration."""
    return msg.sec + msg.nanosec * 1e-9


def _header(stamp: float, frame_id: str, types: MessageTypes):
    return types.Header(stamp=time_from_seconds(stamp, types), frame_id=frame_id)


def _vector(msg, name: str, expected: int | None, what: str) -> np.ndarray:
    values = np.asarray(getattr(msg, name), dtype=np.float64).reshape(-1)
    if expected is not None and values.size != expected:
        raise MessageFormatError(f'{what}.{name}: expected {expected} values, got {values.size}')
    return values


# --- rtr_msgs/ActionChunk -----------------------------------------------------------------


def chunk_to_msg(chunk: Chunk, types: MessageTypes):
    positions = np.asarray(chunk.positions)
    if positions.ndim != 2 or positions.shape[1] != len(chunk.joint_names):
        raise MessageFormatError(
            f'Chunk.positions: expected shape (H, {len(chunk.joint_names)}), '
            f'got {positions.shape}'
        )
    velocities = chunk.velocities
    if velocities is not None and np.shape(velocities) != positions.shape:
        raise MessageFormatError(
            f'Chunk.velocities: expected shape {positions.shape}, got {np.shape(velocities)}'
        )
    latent = None if chunk.latent is None else np.asarray(chunk.latent)
    return types.ActionChunk(
        header=_header(chunk.stamp, chunk.frame_id, types),
        chunk_id=int(chunk.chunk_id),
        start_time=time_from_seconds(chunk.start_time, types),
        period=duration_from_seconds(chunk.dt, types),
        joint_names=list(chunk.joint_names),
        horizon=positions.shape[0],
        positions=types.array(positions, np.float32),
        velocities=types.array([] if velocities is None else velocities, np.float32),
        latent_shape=types.array([] if latent is None else latent.shape, np.uint32),
        latent=types.array([] if latent is None else latent, np.float32),
        policy_name=chunk.policy_name,
        policy_version=chunk.policy_version,
        inference_duration=duration_from_seconds(chunk.inference_duration, types),
    )


def chunk_from_msg(msg) -> Chunk:
    """A :class:`Chunk` from an ActionChunk message; inconsistent fields raise."""
    names = tuple(msg.joint_names)
    horizon, joints = int(msg.horizon), len(names)
    if joints == 0:
        raise MessageFormatError('ActionChunk.joint_names: expected at least one joint name')
    if len(set(names)) != joints:
        raise MessageFormatError(f'ActionChunk.joint_names: duplicate names in {list(names)}')
    positions = _vector(msg, 'positions', horizon * joints, 'ActionChunk')
    velocities = _vector(msg, 'velocities', None, 'ActionChunk')
    if velocities.size not in (0, horizon * joints):
        raise MessageFormatError(
            f'ActionChunk.velocities: expected 0 or {horizon * joints} values '
            f'(horizon {horizon} x {joints} joints), got {velocities.size}'
        )
    shape = tuple(int(s) for s in np.asarray(msg.latent_shape).reshape(-1))
    latent = _vector(msg, 'latent', None, 'ActionChunk')
    if latent.size or shape:
        if int(np.prod(shape)) != latent.size:
            raise MessageFormatError(
                f'ActionChunk.latent: latent_shape {list(shape)} needs {int(np.prod(shape))} '
                f'values, got {latent.size}'
            )
    return Chunk(
        stamp=seconds_from_time(msg.header.stamp),
        start_time=seconds_from_time(msg.start_time),
        dt=seconds_from_time(msg.period),
        joint_names=names,
        positions=positions.reshape(horizon, joints),
        chunk_id=int(msg.chunk_id),
        velocities=velocities.reshape(horizon, joints) if velocities.size else None,
        latent=latent.reshape(shape) if latent.size else None,
        policy_name=msg.policy_name,
        policy_version=msg.policy_version,
        inference_duration=seconds_from_time(msg.inference_duration),
        frame_id=msg.header.frame_id,
    )


# --- rtr_msgs/ExecutorState ---------------------------------------------------------------


def executor_state_to_msg(state: ExecutorState, types: MessageTypes):
    return types.ExecutorState(
        header=_header(state.stamp, '', types),
        mode=int(state.mode),
        tick=int(state.tick),
        control_period=duration_from_seconds(state.control_period, types),
        joint_names=list(state.joint_names),
        position=types.array(state.position, np.float64),
        velocity=types.array(state.velocity, np.float64),
        planned_actions_left=int(state.planned_actions_left),
        chunk_id=int(state.chunk_id),
        last_received_chunk_id=int(state.last_received_chunk_id),
        last_rejected_chunk_id=int(state.last_rejected_chunk_id),
        inference_requested=bool(state.inference_requested),
        strategy=state.strategy,
        chunks_accepted=int(state.chunks_accepted),
        chunks_rejected=int(state.chunks_rejected),
        clamped_ticks=int(state.clamped_ticks),
        clipped_chunks=int(state.clipped_chunks),
        stall_ticks=int(state.stall_ticks),
        last_rejection_reason=state.last_rejection_reason,
    )


def executor_state_from_msg(msg) -> ExecutorState:
    joints = len(msg.joint_names)
    return ExecutorState(
        stamp=seconds_from_time(msg.header.stamp),
        tick=int(msg.tick),
        control_period=seconds_from_time(msg.control_period),
        joint_names=tuple(msg.joint_names),
        position=_vector(msg, 'position', joints, 'ExecutorState'),
        velocity=_vector(msg, 'velocity', joints, 'ExecutorState'),
        planned_actions_left=int(msg.planned_actions_left),
        chunk_id=int(msg.chunk_id),
        last_received_chunk_id=int(msg.last_received_chunk_id),
        inference_requested=bool(msg.inference_requested),
        strategy=msg.strategy,
        mode=int(msg.mode),
        chunks_accepted=int(msg.chunks_accepted),
        chunks_rejected=int(msg.chunks_rejected),
        clamped_ticks=int(msg.clamped_ticks),
        clipped_chunks=int(msg.clipped_chunks),
        stall_ticks=int(msg.stall_ticks),
        last_rejection_reason=msg.last_rejection_reason,
        # absent from ExecutorState messages recorded before it existed
        last_rejected_chunk_id=int(getattr(msg, 'last_rejected_chunk_id', 0)),
    )


# --- sensor_msgs/JointState ---------------------------------------------------------------


def joint_state_to_msg(stamp, names, position, types, velocity=None, effort=None, frame_id=''):
    def values(v):
        return types.array([] if v is None else v, np.float64)

    return types.JointState(
        header=_header(stamp, frame_id, types),
        name=list(names),
        position=values(position),
        velocity=values(velocity),
        effort=values(effort),
    )


def joint_state_from_msg(msg) -> tuple[float, tuple[str, ...], np.ndarray, np.ndarray | None]:
    """(stamp, names, position, velocity or None); velocity may be empty in a JointState."""
    names = tuple(msg.name)
    position = _vector(msg, 'position', len(names), 'JointState')
    velocity = _vector(msg, 'velocity', None, 'JointState')
    if velocity.size not in (0, len(names)):
        raise MessageFormatError(
            f'JointState.velocity: expected 0 or {len(names)} values, got {velocity.size}'
        )
    stamp = seconds_from_time(msg.header.stamp)
    return stamp, names, position, velocity if velocity.size else None


# --- trajectory_msgs/JointTrajectory ------------------------------------------------------


def trajectory_to_msg(names, times_from_start, positions, types, velocities=None, stamp=0.0):
    """A JointTrajectory window; ``stamp=0`` means "start now" for the controller."""
    positions = np.asarray(positions, dtype=np.float64)
    times = np.asarray(times_from_start, dtype=np.float64)
    if positions.shape != (times.size, len(names)):
        raise MessageFormatError(
            f'trajectory positions: expected shape ({times.size}, {len(names)}), '
            f'got {positions.shape}'
        )
    if velocities is not None and np.shape(velocities) != positions.shape:
        raise MessageFormatError(
            f'trajectory velocities: expected shape {positions.shape}, '
            f'got {np.shape(velocities)}'
        )
    if times.size and np.any(np.diff(times) <= 0):
        raise MessageFormatError('trajectory time_from_start must be strictly increasing')
    points = []
    for i, t in enumerate(times):
        points.append(
            types.JointTrajectoryPoint(
                positions=types.array(positions[i], np.float64),
                velocities=types.array([] if velocities is None else velocities[i], np.float64),
                accelerations=types.array([], np.float64),
                effort=types.array([], np.float64),
                time_from_start=duration_from_seconds(float(t), types),
            )
        )
    sec, nanosec = _split_ns(stamp)
    header = types.Header(stamp=types.Time(sec=sec, nanosec=nanosec), frame_id='')
    return types.JointTrajectory(header=header, joint_names=list(names), points=points)


def window_to_msg(window: TrajectoryWindow, types: MessageTypes):
    """The JointTrajectory a streamer sends for ``window`` (stamp 0: "start now")."""
    return trajectory_to_msg(window.joint_names, window.times_from_start, window.positions,
                             types, velocities=window.velocities, stamp=0.0)


def window_from_msg(msg) -> TrajectoryWindow:
    _, names, times, positions, velocities = trajectory_from_msg(msg)
    return TrajectoryWindow(names, times, positions, velocities)


def trajectory_from_msg(msg):
    """(stamp, names, times_from_start (N,), positions (N, J), velocities (N, J) or None)."""
    names = tuple(msg.joint_names)
    joints = len(names)
    times = np.array([seconds_from_time(p.time_from_start) for p in msg.points])
    positions = np.array(
        [_vector(p, 'positions', joints, 'JointTrajectoryPoint') for p in msg.points]
    ).reshape(len(msg.points), joints)
    vels = [_vector(p, 'velocities', None, 'JointTrajectoryPoint') for p in msg.points]
    velocities = None
    if vels and all(v.size == joints for v in vels):
        velocities = np.array(vels)
    elif any(v.size for v in vels):
        raise MessageFormatError(
            f'JointTrajectoryPoint.velocities: expected 0 or {joints} values in every point'
        )
    return seconds_from_time(msg.header.stamp), names, times, positions, velocities


# --- sensor_msgs/Image and CameraInfo -----------------------------------------------------

#: Encodings read without OpenCV -> (channels, source channel of R, G, B). What
#: ``cv_bridge.imgmsg_to_cv2(msg, 'rgb8')`` gives for each, bit for bit: colour channels
#: reordered, alpha dropped, grey replicated. Depth (16UC1, 32FC1) is not a policy input.
IMAGE_ENCODINGS = {
    'rgb8': (3, (0, 1, 2)),
    'bgr8': (3, (2, 1, 0)),
    'rgba8': (4, (0, 1, 2)),
    'bgra8': (4, (2, 1, 0)),
    'mono8': (1, (0, 0, 0)),
}


def image_to_msg(stamp, rgb, types, frame_id='camera_color_optical_frame'):
    """An ``rgb8`` Image from an (H, W, 3) uint8 array."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise MessageFormatError(f'image: expected an (H, W, 3) uint8 array, got '
                                 f'{rgb.shape} {rgb.dtype}')
    height, width = rgb.shape[:2]
    return types.Image(
        header=_header(stamp, frame_id, types),
        height=height,
        width=width,
        encoding='rgb8',
        is_bigendian=0,
        step=width * 3,
        data=types.array(rgb, np.uint8),
    )


def image_from_msg(msg) -> np.ndarray:
    """(H, W, 3) uint8 RGB array from an Image in one of :data:`IMAGE_ENCODINGS`.

    Rows may be padded (``step`` > width x channels); the result is a new contiguous array.
    """
    spec = IMAGE_ENCODINGS.get(msg.encoding)
    if spec is None:
        raise MessageFormatError(
            f'Image.encoding: expected one of {sorted(IMAGE_ENCODINGS)}, got {msg.encoding!r}'
        )
    channels, order = spec
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    data = _bytes(msg.data)
    if step < width * channels or data.size != step * height:
        raise MessageFormatError(
            f'Image.data: {msg.encoding} {width}x{height} with step {step} needs '
            f'{step * height} bytes, got {data.size}'
        )
    img = data.reshape(height, step)[:, : width * channels].reshape(height, width, channels)
    return np.ascontiguousarray(img[:, :, list(order)])


def _bytes(data) -> np.ndarray:
    """A uint8 view of a message's byte array: numpy (rosbags), array.array or bytes (rclpy)."""
    if isinstance(data, np.ndarray):
        return data.reshape(-1).view(np.uint8)
    try:
        return np.frombuffer(data, dtype=np.uint8)
    except TypeError:  # a plain list of ints
        return np.asarray(data, dtype=np.uint8)


def camera_info_to_msg(stamp, width, height, fx, fy, cx, cy, types,
                       frame_id='camera_color_optical_frame'):
    """Pinhole CameraInfo without distortion."""
    k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
    p = [fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return types.CameraInfo(
        header=_header(stamp, frame_id, types),
        height=int(height),
        width=int(width),
        distortion_model='plumb_bob',
        d=types.array([0.0] * 5, np.float64),
        k=types.array(k, np.float64),
        r=types.array([1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0], np.float64),
        p=types.array(p, np.float64),
        binning_x=0,
        binning_y=0,
        roi=types.RegionOfInterest(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False),
    )


# --- geometry_msgs/WrenchStamped ----------------------------------------------------------


def wrench_to_msg(stamp, wrench, types, frame_id='tool0'):
    """WrenchStamped from a 6-vector (fx, fy, fz, tx, ty, tz) in N and N m."""
    w = np.asarray(wrench, dtype=np.float64).reshape(-1)
    if w.size != 6:
        raise MessageFormatError(f'wrench: expected 6 values (force, torque), got {w.size}')

    def vec(v):
        return types.Vector3(x=float(v[0]), y=float(v[1]), z=float(v[2]))

    return types.WrenchStamped(
        header=_header(stamp, frame_id, types),
        wrench=types.Wrench(force=vec(w[:3]), torque=vec(w[3:])),
    )


def wrench_from_msg(msg) -> tuple[float, np.ndarray]:
    f, t = msg.wrench.force, msg.wrench.torque
    return seconds_from_time(msg.header.stamp), np.array([f.x, f.y, f.z, t.x, t.y, t.z])


# --- std_msgs/Float64MultiArray -----------------------------------------------------------


def float64_array_to_msg(values, types, label='joints'):
    """Float64MultiArray as forward_command_controller expects it (one flat dimension)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    dim = types.MultiArrayDimension(label=label, size=v.size, stride=v.size)
    return types.Float64MultiArray(
        layout=types.MultiArrayLayout(dim=[dim], data_offset=0),
        data=types.array(v, np.float64),
    )


def float64_array_from_msg(msg) -> np.ndarray:
    return np.asarray(msg.data, dtype=np.float64).reshape(-1)


# --- actions from any commanded or measured stream ----------------------------------------


def action_from_msg(msg, receive_time: float) -> tuple[float, tuple[str, ...], np.ndarray]:
    """(time, joint names, positions) of the action a message carries.

    - JointTrajectory: its FIRST point, meant for the start time (``header.stamp``, or the
      receive time when the stamp is 0, "now") plus that point's ``time_from_start``: how a
      60 Hz streamer (the simulator's expert, rtr_chunk_executor) commands.
    - Float64MultiArray: the values at the receive time, named ``a0``, ``a1``...
    - JointState: the positions at the header stamp (receive time if 0).
    """
    if hasattr(msg, 'points'):
        stamp, names, times, positions, _ = trajectory_from_msg(msg)
        if not len(times):
            raise MessageFormatError('JointTrajectory without points')
        return (stamp or receive_time) + times[0], names, positions[0]
    if hasattr(msg, 'layout'):
        values = float64_array_from_msg(msg)
        return receive_time, tuple(f'a{i}' for i in range(values.size)), values
    if hasattr(msg, 'position') and hasattr(msg, 'name'):
        stamp, names, values, _ = joint_state_from_msg(msg)
        return stamp or receive_time, names, values
    raise MessageFormatError(f'no action in a {type(msg).__name__}: expected JointTrajectory, '
                             'Float64MultiArray or JointState')
