"""rtr_openloop_evaluator: scores the policy node's chunks against a replayed recording.

Wiring only (rtr_core.evaluation.open_loop_recorder does the work). With `ros2 bag play
--clock` and use_sim_time, it records the bag's commanded actions and the policy's chunks,
asks for the next chunk as soon as the previous one arrived (standing in for the executor),
and writes the open-loop report when it shuts down (the launch file stops it when the bag
ends).
"""

from __future__ import annotations

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from rtr_core.config import flatten, from_parameters
from rtr_core.errors import RtrError
from rtr_core.evaluation.open_loop_recorder import OpenLoopRecorder
from rtr_core.msgs import MessageTypes, chunk_from_msg, executor_state_to_msg

from .config import EVALUATOR_NODE_NAME, OpenLoopEvaluatorConfig

ACTION_TYPES = ('JointTrajectory', 'Float64MultiArray', 'JointState')


class OpenLoopEvaluator(Node):
    def __init__(self, **kwargs):
        super().__init__(EVALUATOR_NODE_NAME, **kwargs)
        defaults = flatten(OpenLoopEvaluatorConfig())
        for name, value in defaults.items():
            self.declare_parameter(name, value)
        self.declare_parameter('action_type', 'JointTrajectory')
        values = {name: self.get_parameter(name).value for name in defaults}
        overrides = [n for n in self._parameter_overrides if n != 'action_type']
        self.config = from_parameters(OpenLoopEvaluatorConfig, values, overrides,
                                      f'{EVALUATOR_NODE_NAME} parameters')
        action_type = self.get_parameter('action_type').value
        if action_type not in ACTION_TYPES:
            raise RtrError(f'{EVALUATOR_NODE_NAME}: action_type {action_type!r}; expected one '
                           f'of {ACTION_TYPES}')
        cfg, t = self.config, MessageTypes.from_ros_packages()
        self._types = t
        self.recorder = OpenLoopRecorder(cfg.control_period)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.create_subscription(getattr(t, action_type), cfg.action_topic, self._on_action, 100)
        self.create_subscription(t.ActionChunk, cfg.action_chunk_topic, self._on_chunk, reliable)
        self._state_pub = self.create_publisher(t.ExecutorState, cfg.executor_state_topic,
                                                reliable)
        self.create_timer(cfg.control_period, self._trigger)

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_action(self, msg) -> None:
        try:
            self.recorder.add_action_msg(msg, self._now())
        except RtrError as exc:
            self.get_logger().warn(f'{self.config.action_topic}: {exc}',
                                   throttle_duration_sec=5.0)

    def _on_chunk(self, msg) -> None:
        try:
            self.recorder.add_chunk(chunk_from_msg(msg))
        except RtrError as exc:
            self.get_logger().warn(f'{self.config.action_chunk_topic}: {exc}')

    def _trigger(self) -> None:
        self._state_pub.publish(executor_state_to_msg(self.recorder.trigger_state(self._now()),
                                                      self._types))

    def write_report(self) -> None:
        actions, chunks = self.recorder.counts
        try:
            written = self.recorder.write(self.config.out_dir, self.config.policy_name)
        except RtrError as exc:
            self.get_logger().error(str(exc))
            return
        self.get_logger().info(f'{chunks} chunks against {actions} recorded actions: '
                               f'{", ".join(str(p) for p in written)}')


def main(args=None) -> None:
    rclpy.init(args=args)
    node = OpenLoopEvaluator()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.write_report()  # files only: works after the context is shut down
        node.destroy_node()
        rclpy.try_shutdown()
