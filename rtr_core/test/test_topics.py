"""Default topic names: one source, with the message type published on each."""

import dataclasses

from rtr_core.msgs import TYPE_NAMES
from rtr_core.topics import MESSAGE_TYPES, TOPICS, Topics


def test_every_topic_has_a_known_message_type():
    fields = {f.name for f in dataclasses.fields(Topics)}
    assert set(MESSAGE_TYPES) == fields
    assert set(MESSAGE_TYPES.values()) <= set(TYPE_NAMES.values())
    assert len(set(TOPICS.as_dict().values())) == len(fields)  # no two share a name


def test_defaults_follow_the_ros_packages_and_can_be_overridden():
    assert TOPICS.camera_image == '/camera/camera/color/image_raw'  # realsense-ros >= 4.55.1
    assert TOPICS.wrench == '/force_torque_sensor_broadcaster/wrench'
    assert TOPICS.joint_trajectory == '/joint_trajectory_controller/joint_trajectory'
    old = Topics(camera_image='/camera/color/image_raw')  # realsense-ros <= 4.54.1
    assert old.types()['/camera/color/image_raw'] == 'sensor_msgs/msg/Image'
    assert TOPICS.types()['/rtr/action_chunk'] == 'rtr_msgs/msg/ActionChunk'
