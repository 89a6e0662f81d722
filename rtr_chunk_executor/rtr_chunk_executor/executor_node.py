"""rtr_chunk_executor: ActionChunk in, a 60 Hz command stream to ros2_control out.

Wiring only: the executor (timeline, boundary strategy, safety, trigger) is
rtr_core.executor.ChunkExecutor, tested without ROS. Topics (defaults in rtr_core.topics):

- in:  /rtr/action_chunk (rtr_msgs/ActionChunk), /joint_states (sensor_msgs/JointState)
- out: /joint_trajectory_controller/joint_trajectory (a window every tick) or
       /forward_position_controller/commands, /rtr/executor_state, /diagnostics

Lifecycle: configure loads the VAE and builds the executor; activate starts the 60 Hz loop (a
dedicated thread with absolute deadlines), which starts commanding from the first measured
joint state; deactivate and shutdown decelerate to a stop and hold.

Threads: the 60 Hz loop is its own thread, so no executor can delay it but through the GIL.
Joint states (often 500 Hz) never wake the executor: the loop takes the newest one when it
needs it (rtr_ros.latest.LatestMessage). Chunks are refined in their own callback group, apart
from the lifecycle services and the diagnostics timer. ``main`` runs the node alone;
rtr_bringup's ``rtr_graph`` runs it beside the others in one process (rtr_ros.spin.run_nodes).
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy

from rtr_core.config import flatten, from_parameters
from rtr_core.diagnostics import executor_diagnostics
from rtr_core.errors import RtrError
from rtr_core.executor.fail_safe import FailSafe
from rtr_core.joints import select_joints
from rtr_core.msgs import (
    MessageTypes,
    chunk_from_msg,
    executor_state_to_msg,
    float64_array_to_msg,
    joint_state_from_msg,
    window_to_msg,
)
from rtr_core.realtime import PeriodicLoop, prepare_process
from rtr_ros.latest import LatestMessage
from rtr_ros.lifecycle import ConfiguredEntities, declare_config_parameters, logged_transitions
from rtr_ros.spin import run_nodes

from .config import NODE_NAME, REQUIRED_PARAMETERS, ExecutorNodeConfig, build_executor

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE


@logged_transitions
class ChunkExecutorNode(LifecycleNode):
    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        self._defaults = flatten(ExecutorNodeConfig())
        # dynamic: ints for floats, scalar or per-joint limits
        declare_config_parameters(self, self._defaults)
        self._types = MessageTypes.from_ros_packages()
        self._core = None
        self._loop: PeriodicLoop | None = None
        self._joint_states: LatestMessage | None = None
        self._configured = ConfiguredEntities(self)
        self._chunk_group = MutuallyExclusiveCallbackGroup()
        self._diag_group = MutuallyExclusiveCallbackGroup()

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # --- lifecycle --------------------------------------------------------------------------

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            values = {name: self.get_parameter(name).value for name in self._defaults}
            # rclpy keeps every override it was given (parameters file, launch, command
            # line, constructor) here, declared or not: a typo is refused, not dropped
            self.config = from_parameters(ExecutorNodeConfig, values, self._parameter_overrides,
                                          f'{NODE_NAME} parameters', REQUIRED_PARAMETERS)
            self._core = build_executor(self.config)
        except RtrError as exc:
            self.get_logger().error(str(exc))
            return FAILURE
        cfg, t, own = self.config, self._types, self._configured.add
        command = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        if cfg.output_mode == 'jtc':
            self._command_pub = own(self.create_lifecycle_publisher(
                t.JointTrajectory, cfg.topics.joint_trajectory, command))
        else:
            self._command_pub = own(self.create_lifecycle_publisher(
                t.Float64MultiArray, cfg.topics.forward_commands, command))
        self._state_pub = own(self.create_lifecycle_publisher(
            t.ExecutorState, cfg.topics.executor_state, 10))
        self._diag_pub = own(self.create_lifecycle_publisher(DiagnosticArray, '/diagnostics', 10))
        own(self.create_subscription(
            t.ActionChunk, cfg.topics.action_chunk, self._on_chunk,
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE),
            callback_group=self._chunk_group))
        self._joint_states = own(LatestMessage(self, t.JointState, cfg.topics.joint_states))
        if cfg.executor.strategy == 'rtr' and not cfg.vae_checkpoint:
            self.get_logger().warn('strategy rtr without vae_checkpoint: hand-overs are '
                                   'anchored but not refined through the VAE')
        self.get_logger().info(
            f'strategy {self._core.strategy.name}, {len(cfg.executor.joint_names)} joints, '
            f'{1 / cfg.executor.control_period:.0f} Hz, output {cfg.output_mode}')
        return SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        # Never block here: this callback runs on the spin thread that delivers joint states.
        self._core.reset()
        self._started = False
        self._activated_at = time.monotonic()
        result = super().on_activate(state)
        # a step that raises holds the arm smoothly (once per streak) and the loop goes on
        fail_safe = FailSafe(self._core, self._now, lambda w: self._publish_command(
            w.positions[-1], w))
        realtime = self.config.realtime
        for done in prepare_process(realtime):
            self.get_logger().info(f'real-time loop: {done}')
        self._priority_checked = realtime.priority == 0
        # calls just after each tick of the node clock (the ticks the executor runs); with
        # use_sim_time that clock may pause or run fast: then the loop keeps its own phase
        sim_time = self.get_parameter('use_sim_time').value
        self._loop = PeriodicLoop(self.config.executor.control_period, self._tick,
                                  name='rtr-executor-60hz', on_error=fail_safe,
                                  priority=realtime.priority,
                                  align=None if sim_time else self._now).start()
        self._diag_timer = self.create_timer(self.config.diagnostics_period, self._diagnose,
                                             callback_group=self._diag_group)
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_and_hold()
        self.destroy_timer(self._diag_timer)
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._destroy_entities()
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_and_hold()
        self._destroy_entities()
        return SUCCESS

    def _destroy_entities(self) -> None:
        self._configured.destroy()
        self._joint_states = None
        self._core = None

    def _stop_and_hold(self) -> None:
        """Stop the loop, then send one window that decelerates smoothly to a stop."""
        if self._loop is not None:
            self._loop.stop()
            self._loop = None
        if self._core is None or not hasattr(self, '_command_pub'):
            return
        window = self._core.hold(self._now())
        if window is not None:
            self._publish_command(window.positions[-1], window)

    # --- callbacks --------------------------------------------------------------------------

    def _measured_position(self):
        """The newest measured position of our joints (None before the first joint state)."""
        msg = self._joint_states.take() if self._joint_states is not None else None
        if msg is None:
            return None
        try:
            _, names, position, _ = joint_state_from_msg(msg)
            return select_joints(names, position, self.config.executor.joint_names)
        except RtrError as exc:
            self.get_logger().warn(f'{self.config.topics.joint_states}: {exc}',
                                   throttle_duration_sec=5.0)
            return None

    def _on_chunk(self, msg) -> None:
        """Validation and refinement run here, off the 60 Hz thread."""
        now = self._now()
        try:
            chunk = chunk_from_msg(msg)
        except RtrError as exc:
            self.get_logger().warn(f'{self.config.topics.action_chunk}: rejected: {exc}')
            return
        reception = self._core.receive(chunk, now)
        if not reception.accepted:
            self.get_logger().warn(f'chunk {reception.chunk_id} rejected: {reception.reason}')

    def _tick(self) -> None:
        if not self._started:
            position = self._measured_position()
            if position is None:
                waited = time.monotonic() - self._activated_at
                if waited > self.config.joint_state_timeout:
                    self.get_logger().error(
                        f'no {self.config.topics.joint_states} with joints '
                        f'{list(self.config.executor.joint_names)} for {waited:.0f} s; '
                        'sending nothing', throttle_duration_sec=5.0)
                return
            self._core.start(position, self._now())
            self._started = True
        result = self._core.tick(self._now())
        if not result.new:  # a simulated clock slower than the wall clock: nothing new yet
            return
        if result.position is not None:
            self._publish_command(result.position, result.window)
        self._state_pub.publish(executor_state_to_msg(self._core.state(), self._types))

    def _publish_command(self, position, window) -> None:
        if self.config.output_mode == 'jtc':
            if window is not None:
                self._command_pub.publish(window_to_msg(window, self._types))
        else:
            self._command_pub.publish(float64_array_to_msg(position, self._types))

    def _diagnose(self) -> None:
        if self._core is None or self._loop is None:
            return
        if not self._priority_checked:  # set by the loop thread itself when it starts
            self._priority_checked = True
            if self._loop.priority_error:
                self.get_logger().warn(self._loop.priority_error)
        status = DiagnosticStatus(name=f'{NODE_NAME}: executor', hardware_id=NODE_NAME)
        level, message, values = executor_diagnostics(self._core.state(), self._loop.stats())
        status.level = bytes([level])
        status.message = message
        status.values = [KeyValue(key=k, value=v) for k, v in values]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diag_pub.publish(array)


def main(args=None) -> int:
    """The node alone in its process, until SIGINT/SIGTERM (exit status 0)."""
    return run_nodes([ChunkExecutorNode], args)
