"""Default ROS 2 topic names: one source for the sim recordings, the training datasets and
the ROS nodes (whose topic parameters default to these).

Camera names follow realsense-ros >= 4.55.1 (``/camera/camera/color/...``); the wrench is
what ros2_control's force_torque_sensor_broadcaster publishes; commands go to
joint_trajectory_controller (default) or a forward position controller.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Topics:
    camera_image: str = '/camera/camera/color/image_raw'
    camera_info: str = '/camera/camera/color/camera_info'
    joint_states: str = '/joint_states'
    wrench: str = '/force_torque_sensor_broadcaster/wrench'
    joint_trajectory: str = '/joint_trajectory_controller/joint_trajectory'
    forward_commands: str = '/forward_position_controller/commands'
    action_chunk: str = '/rtr/action_chunk'
    executor_state: str = '/rtr/executor_state'

    def types(self) -> dict[str, str]:
        """Topic name -> ROS message type."""
        return {getattr(self, field): msgtype for field, msgtype in MESSAGE_TYPES.items()}

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


#: Field of :class:`Topics` -> the message type published on it.
MESSAGE_TYPES = {
    'camera_image': 'sensor_msgs/msg/Image',
    'camera_info': 'sensor_msgs/msg/CameraInfo',
    'joint_states': 'sensor_msgs/msg/JointState',
    'wrench': 'geometry_msgs/msg/WrenchStamped',
    'joint_trajectory': 'trajectory_msgs/msg/JointTrajectory',
    'forward_commands': 'std_msgs/msg/Float64MultiArray',
    'action_chunk': 'rtr_msgs/msg/ActionChunk',
    'executor_state': 'rtr_msgs/msg/ExecutorState',
}

#: The defaults, for code that does not take topic names as parameters.
TOPICS = Topics()
