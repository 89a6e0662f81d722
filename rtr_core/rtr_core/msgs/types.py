"""The set of message classes the conversion helpers build, from rosbags or from rclpy.

Conversion helpers are duck-typed: they only construct messages with keyword arguments and
read fields by name, which works for both the rosbags dataclasses (tests, bags, the
simulator) and the rclpy classes (nodes). The one difference is how primitive arrays are
passed: rosbags wants numpy arrays, rclpy wants ``array.array`` (assigning a numpy array to
an rclpy ``float32[]`` field fails).
"""

from __future__ import annotations

import array
import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Short name -> full ROS type name of every message the helpers build.
TYPE_NAMES = {
    'ActionChunk': 'rtr_msgs/msg/ActionChunk',
    'ExecutorState': 'rtr_msgs/msg/ExecutorState',
    'Header': 'std_msgs/msg/Header',
    'Time': 'builtin_interfaces/msg/Time',
    'Duration': 'builtin_interfaces/msg/Duration',
    'JointState': 'sensor_msgs/msg/JointState',
    'Image': 'sensor_msgs/msg/Image',
    'CameraInfo': 'sensor_msgs/msg/CameraInfo',
    'RegionOfInterest': 'sensor_msgs/msg/RegionOfInterest',
    'JointTrajectory': 'trajectory_msgs/msg/JointTrajectory',
    'JointTrajectoryPoint': 'trajectory_msgs/msg/JointTrajectoryPoint',
    'WrenchStamped': 'geometry_msgs/msg/WrenchStamped',
    'Wrench': 'geometry_msgs/msg/Wrench',
    'Vector3': 'geometry_msgs/msg/Vector3',
    'Float64MultiArray': 'std_msgs/msg/Float64MultiArray',
    'MultiArrayLayout': 'std_msgs/msg/MultiArrayLayout',
    'MultiArrayDimension': 'std_msgs/msg/MultiArrayDimension',
}

_CODES = {np.float32: 'f', np.float64: 'd', np.uint32: 'I', np.uint8: 'B', np.int32: 'i'}


@dataclass(frozen=True)
class MessageTypes:
    """Message classes by short name (``types.ActionChunk``) and the array convention."""

    classes: dict[str, type]
    numpy_arrays: bool

    def __getattr__(self, name: str) -> type:
        try:
            return self.classes[name]
        except KeyError:
            raise AttributeError(f'no message class {name!r} in this MessageTypes') from None

    def array(self, values: Any, dtype: type) -> Any:
        """A primitive array field value in the convention of these classes."""
        arr = np.ascontiguousarray(values, dtype=dtype).reshape(-1)
        if self.numpy_arrays:
            return arr
        return array.array(_CODES[dtype], arr.tobytes())

    @classmethod
    def from_rosbags(cls, distro: str = 'jazzy') -> MessageTypes:
        from .definitions import typestore  # rosbags: only for types built from .msg text

        store = typestore(distro)
        return cls({short: store.types[full] for short, full in TYPE_NAMES.items()}, True)

    @classmethod
    def from_ros_packages(cls) -> MessageTypes:
        """The generated ROS 2 classes (``sensor_msgs.msg.JointState``...), for the nodes.

        Only works in a sourced ROS 2 environment with rtr_msgs built.
        """
        classes = {}
        for short, full in TYPE_NAMES.items():
            package, _, name = full.split('/')
            classes[short] = getattr(importlib.import_module(f'{package}.msg'), name)
        return cls(classes, False)

    @classmethod
    def from_modules(cls, **classes: type) -> MessageTypes:
        """Classes given explicitly, e.g. the rclpy ones inside a node."""
        missing = sorted(set(TYPE_NAMES) - set(classes))
        if missing:
            raise ValueError(f'MessageTypes.from_modules: missing classes {missing}')
        return cls(dict(classes), False)
