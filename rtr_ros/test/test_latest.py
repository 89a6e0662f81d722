"""rtr_ros.latest.LatestMessage: a high-rate topic read on demand never wakes the executor."""

import time

import numpy as np
import pytest

rclpy = pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed: `make setup` '
                            'installs it from PyPI, or source a ROS 2 install')

pytestmark = pytest.mark.ros
JOINTS = tuple(f'joint_{i}' for i in range(1, 8))


def test_the_newest_message_is_taken_and_no_callback_ever_runs():
    from rclpy.executors import SingleThreadedExecutor

    from rtr_core.msgs import MessageTypes, joint_state_from_msg, joint_state_to_msg
    from rtr_ros.latest import LatestMessage

    rclpy.init()
    try:
        types = MessageTypes.from_ros_packages()
        reader = rclpy.create_node('rtr_latest_reader')
        writer = rclpy.create_node('rtr_latest_writer')
        latest = LatestMessage(reader, types.JointState, '/rtr_test/joint_states')
        pub = writer.create_publisher(types.JointState, '/rtr_test/joint_states', 10)
        executor = SingleThreadedExecutor()
        executor.add_node(reader)
        assert latest.take() is None
        deadline = time.monotonic() + 10
        while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(200):  # 500 Hz for 0.4 s; the reader's executor spins meanwhile
            pub.publish(joint_state_to_msg(float(i), JOINTS, np.full(7, float(i)), types))
            executor.spin_once(timeout_sec=0.002)  # a callback would raise AssertionError
        time.sleep(0.2)
        stamp, names, position, _ = joint_state_from_msg(latest.take())
        assert stamp == 199.0 and names == JOINTS and position[0] == 199.0
        assert latest.taken < 200, 'older messages were dropped by DDS, not delivered'
        executor.shutdown()
        reader.destroy_node()
        writer.destroy_node()
    finally:
        rclpy.try_shutdown()
