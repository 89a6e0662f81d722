"""rtr_openloop_evaluator: scores the policy node's chunks against a replayed recording.

Wiring only (rtr_core.evaluation.open_loop_recorder does the work). With `ros2 bag play
--clock` and use_sim_time, it records the bag's commanded actions and the policy's chunks,
asks for the next chunk as soon as the previous one arrived (standing in for the executor),
and writes the open-loop report when it shuts down (the launch file stops it when the bag
ends). With ``bag`` set it refuses to start (an RtrError naming the topic) unless the bag has
``action_topic``; without it, a report with no recorded actions names the topic instead.
"""

from __future__ import annotations

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from rtr_core.config import flatten, from_parameters
from rtr_core.errors import RtrError
from rtr_core.evaluation.open_loop_recorder import OpenLoopRecorder
from rtr_core.msgs import MessageTypes, chunk_from_msg, executor_state_to_msg
from rtr_ros.spin import run_nodes

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
        if cfg.bag:
            check_bag(cfg.bag, cfg.action_topic)
        self._types = t
        self.recorder = OpenLoopRecorder(cfg.control_period, cfg.stride, cfg.action_topic)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.create_subscription(getattr(t, action_type), cfg.action_topic, self._on_action, 100)
        self.create_subscription(t.ActionChunk, cfg.action_chunk_topic, self._on_chunk, reliable)
        self._state_pub = self.create_publisher(t.ExecutorState, cfg.executor_state_topic,
                                                reliable)
        self.create_timer(cfg.control_period, self._trigger)
        self.get_logger().info(f'recording {cfg.action_topic} ({action_type}) and '
                               f'{cfg.action_chunk_topic}; a chunk '
                               + (f'every {cfg.stride} ticks' if cfg.stride else
                                  'as soon as the previous one arrived'))

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


def check_bag(path: str, action_topic: str) -> None:
    """Raise an RtrError naming the bag and the topic unless the bag records ``action_topic``."""
    from rtr_core.bag.reader import BagReader

    with BagReader(path) as reader:  # BagError (an RtrError) names the bag's topics
        reader.require(action_topic)


class _ReportingEvaluator(OpenLoopEvaluator):
    def destroy_node(self):  # run_nodes destroys the node after its spin thread stopped
        self.write_report()  # files only
        return super().destroy_node()


def main(args=None) -> int:
    """The evaluator alone in its process until SIGINT/SIGTERM; the report is written when
    it stops. Exit status 1 if it could not start (e.g. the bag lacks the action topic)."""
    return run_nodes([_ReportingEvaluator], args)
