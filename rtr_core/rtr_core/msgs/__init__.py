"""ROS 2 messages without ROS: types from the rtr_msgs .msg files, numpy conversions."""

from .convert import (
    IMAGE_ENCODINGS,
    MessageFormatError,
    action_from_msg,
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
    seconds_from_time,
    time_from_seconds,
    trajectory_from_msg,
    trajectory_to_msg,
    window_from_msg,
    window_to_msg,
    wrench_from_msg,
    wrench_to_msg,
)
from .types import TYPE_NAMES, MessageTypes

_DEFINITIONS = ('MessageDefinitionError', 'msg_dir', 'typestore')


def __getattr__(name: str):
    """The .msg-text side (rosbags) is imported when first used: a node that converts
    rclpy messages needs no rosbags."""
    if name in _DEFINITIONS:
        from . import definitions

        return getattr(definitions, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

__all__ = [
    'IMAGE_ENCODINGS',
    'TYPE_NAMES',
    'MessageDefinitionError',
    'MessageFormatError',
    'MessageTypes',
    'action_from_msg',
    'camera_info_to_msg',
    'chunk_from_msg',
    'chunk_to_msg',
    'executor_state_from_msg',
    'executor_state_to_msg',
    'float64_array_from_msg',
    'float64_array_to_msg',
    'image_from_msg',
    'image_to_msg',
    'joint_state_from_msg',
    'joint_state_to_msg',
    'msg_dir',
    'seconds_from_time',
    'time_from_seconds',
    'trajectory_from_msg',
    'trajectory_to_msg',
    'typestore',
    'window_from_msg',
    'window_to_msg',
    'wrench_from_msg',
    'wrench_to_msg',
]
