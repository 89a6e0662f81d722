"""launch_testing: rtr_chunk_executor comes up through a launch file, is configured and
activated by lifecycle events, and turns a chunk into JTC windows at 60 Hz.

Runs under `colcon test` (launch_testing's pytest plugin); skipped where ROS 2 is missing.
"""

import time
import unittest
from pathlib import Path

import numpy as np
import pytest

launch_testing = pytest.importorskip(
    'launch_testing', reason='ROS 2 (launch_testing) is not installed; run with colcon test')

import launch  # noqa: E402
import launch_ros.actions  # noqa: E402
import launch_ros.event_handlers  # noqa: E402
import launch_ros.events.lifecycle  # noqa: E402
import rclpy  # noqa: E402
from launch_testing.actions import ReadyToTest  # noqa: E402
from lifecycle_msgs.msg import Transition  # noqa: E402

from rtr_core.chunk import Chunk  # noqa: E402
from rtr_core.msgs import MessageTypes, chunk_to_msg, joint_state_to_msg  # noqa: E402
from rtr_core.topics import TOPICS  # noqa: E402

JOINTS = tuple(f'joint_{i}' for i in range(1, 8))
PARAMS = Path(__file__).resolve().parents[1] / 'config' / 'rtr_nodes.yaml'  # the arm's limits
pytestmark = pytest.mark.ros


@pytest.mark.launch_test
def generate_test_description():
    executor = launch_ros.actions.LifecycleNode(
        package='rtr_chunk_executor', executable='chunk_executor', name='rtr_chunk_executor',
        namespace='', parameters=[str(PARAMS), {'executor.strategy': 'naive'}],
        output='screen')

    def change(transition):
        return launch.actions.EmitEvent(event=launch_ros.events.lifecycle.ChangeState(
            lifecycle_node_matcher=launch.events.matches_action(executor),
            transition_id=transition))

    activate = launch.actions.RegisterEventHandler(
        launch_ros.event_handlers.OnStateTransition(
            target_lifecycle_node=executor, goal_state='inactive',
            entities=[change(Transition.TRANSITION_ACTIVATE)]))
    return launch.LaunchDescription([
        executor, activate, change(Transition.TRANSITION_CONFIGURE), ReadyToTest()])


class TestExecutorStreams(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rclpy.init()
        cls.node = rclpy.create_node('rtr_launch_test_peer')

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_for(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rclpy.spin_once(self.node, timeout_sec=0.005)

    def test_chunk_in_windows_out_at_60hz(self):
        types = MessageTypes.from_ros_packages()
        windows = []
        self.node.create_subscription(types.JointTrajectory, TOPICS.joint_trajectory,
                                      windows.append, 10)
        joints = self.node.create_publisher(types.JointState, TOPICS.joint_states, 10)
        chunks = self.node.create_publisher(types.ActionChunk, TOPICS.action_chunk, 10)
        for _ in range(100):  # until the executor is active and has a joint state
            now = self.node.get_clock().now().nanoseconds * 1e-9
            joints.publish(joint_state_to_msg(now, JOINTS, np.zeros(7), types))
            self.spin_for(0.05)
            if windows:
                break
        now = self.node.get_clock().now().nanoseconds * 1e-9
        ramp = np.linspace(0, 0.2, 48)[:, None] * np.ones(7)
        chunks.publish(chunk_to_msg(Chunk(now, now + 1 / 60, 1 / 60, JOINTS, ramp, 1), types))
        windows.clear()
        self.spin_for(1.0)
        self.assertGreaterEqual(len(windows), 45)
        self.assertLessEqual(len(windows), 75)
        self.assertEqual(len(windows[-1].points[0].velocities), 7)
        self.assertGreater(max(max(p.positions) for w in windows for p in w.points), 0.1)
