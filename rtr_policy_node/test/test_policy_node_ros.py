"""The policy node under ROS 2: configure with a checkpoint, activate, inputs in, a chunk out
after an executor state asks for one. Runs under `colcon test`; skipped without rclpy."""

import threading
import time

import numpy as np
import pytest

rclpy = pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed; run with '
                            'colcon test in a sourced ROS 2 workspace')

from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from rclpy.lifecycle import TransitionCallbackReturn  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402

from rtr_core.executor.state import ExecutorState  # noqa: E402
from rtr_core.msgs import (  # noqa: E402
    MessageTypes,
    chunk_from_msg,
    executor_state_to_msg,
    image_to_msg,
    joint_state_to_msg,
    wrench_to_msg,
)
from rtr_core.topics import TOPICS  # noqa: E402

JOINTS = tuple(f'joint_{i}' for i in range(1, 8))


pytestmark = pytest.mark.ros


def test_inputs_and_a_trigger_give_a_stamped_chunk(checkpoint):
    rclpy.init()
    from rtr_policy_node.policy_node import PolicyNode

    node = PolicyNode(parameter_overrides=[Parameter('policy_checkpoint',
                                                     value=str(checkpoint))])
    peer = rclpy.create_node('rtr_policy_test_peer')
    executor = MultiThreadedExecutor()
    executor.add_node(node)
    executor.add_node(peer)
    threading.Thread(target=executor.spin, daemon=True).start()
    try:
        types = MessageTypes.from_ros_packages()
        chunks = []
        peer.create_subscription(types.ActionChunk, TOPICS.action_chunk,
                                 lambda m: chunks.append(chunk_from_msg(m)), 10)
        image = peer.create_publisher(types.Image, TOPICS.camera_image, 10)
        joints = peer.create_publisher(types.JointState, TOPICS.joint_states, 10)
        wrench = peer.create_publisher(types.WrenchStamped, TOPICS.wrench, 10)
        state = peer.create_publisher(types.ExecutorState, TOPICS.executor_state, 10)
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
        for _ in range(30):
            now = peer.get_clock().now().nanoseconds * 1e-9
            image.publish(image_to_msg(now, np.zeros((96, 96, 3), np.uint8), types))
            joints.publish(joint_state_to_msg(now, JOINTS, np.zeros(7), types))
            wrench.publish(wrench_to_msg(now, np.zeros(6), types))
            state.publish(executor_state_to_msg(ExecutorState(
                now, 0, 1 / 60, JOINTS, np.zeros(7), np.zeros(7), 0, 0, 0, True, 'rtr'), types))
            time.sleep(1 / 30)
        assert chunks, 'no chunk published'
        assert chunks[0].chunk_id == 1 and chunks[0].joint_names == JOINTS
        assert chunks[0].start_time > chunks[0].stamp
        assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    finally:
        executor.shutdown()
        node.destroy_node()
        peer.destroy_node()
        rclpy.try_shutdown()
