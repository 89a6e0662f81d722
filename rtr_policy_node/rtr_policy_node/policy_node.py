"""rtr_policy: observations in, rtr_msgs/ActionChunk out, inference in its own thread.

Wiring only: the latest-input buffer and the inference worker (trigger, staleness, RTC,
latency statistics) are rtr_core.inference, tested without ROS. Topics:

- in:  camera image (sensor-data QoS), /joint_states, the F/T wrench (topics from the
       policy's observation contract, overridable), /rtr/executor_state (trigger)
- out: /rtr/action_chunk (stamped with the observation time), /diagnostics

Lifecycle: configure loads the chunk source (parameter ``source``: rtr / openpi / plugin;
an unreachable openpi server fails the transition, the node stays unconfigured); activate
starts the inference worker; deactivate stops it (the executor then finishes its plan and
holds).
"""

from __future__ import annotations

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from rtr_core.config import flatten, from_parameters
from rtr_core.diagnostics import policy_diagnostics
from rtr_core.errors import RtrError
from rtr_core.images import fit_image
from rtr_core.inference import InferenceWorker, LatestInputs
from rtr_core.msgs import (
    MessageTypes,
    chunk_to_msg,
    executor_state_from_msg,
    image_from_msg,
    joint_state_from_msg,
    seconds_from_time,
    wrench_from_msg,
)

from .config import NODE_NAME, PolicyNodeConfig, load_policy

try:  # optional: no Jazzy cv_bridge on PyPI; rtr_core's numpy conversion does rgb8/bgr8/mono8
    from cv_bridge import CvBridge
except ImportError:
    CvBridge = None

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE


class PolicyNode(LifecycleNode):
    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        self._defaults = flatten(PolicyNodeConfig())
        dynamic = ParameterDescriptor(dynamic_typing=True)  # lists that default to empty
        for name, value in self._defaults.items():
            self.declare_parameter(name, value, dynamic)
        self._types = MessageTypes.from_ros_packages()
        self._bridge = CvBridge() if CvBridge is not None else None
        self._worker: InferenceWorker | None = None
        self._subs = []

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            values = {name: self.get_parameter(name).value for name in self._defaults}
            # every override rclpy was given, declared or not: a typo is refused, not dropped
            self.config = from_parameters(PolicyNodeConfig, values, self._parameter_overrides,
                                          f'{NODE_NAME} parameters')
            self.setup = load_policy(self.config)
        except RtrError as exc:
            self.get_logger().error(str(exc))
            return FAILURE
        cfg, t, topics = self.config, self._types, self.setup.topics
        policy = self.setup.source
        self._inputs = LatestInputs(policy.joint_names, self.setup.inputs)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._chunk_pub = self.create_lifecycle_publisher(t.ActionChunk,
                                                          cfg.action_chunk_topic, reliable)
        self._diag_pub = self.create_lifecycle_publisher(DiagnosticArray, '/diagnostics', 10)
        if 'image' in topics:
            self._subs.append(self.create_subscription(
                t.Image, topics['image'], self._on_image, qos_profile_sensor_data))
        if 'joint_positions' in topics:
            self._subs.append(self.create_subscription(
                t.JointState, topics['joint_positions'], self._on_joint_state, 10))
        if 'wrench' in topics:
            self._subs.append(self.create_subscription(
                t.WrenchStamped, topics['wrench'], self._on_wrench, qos_profile_sensor_data))
        self._subs.append(self.create_subscription(
            t.ExecutorState, cfg.executor_state_topic, self._on_executor_state, reliable))
        self.get_logger().info(f'policy {policy.name} {policy.version}: inputs {topics}, '
                               f'trigger {cfg.trigger}, rtc {cfg.rtc}')
        return SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        result = super().on_activate(state)
        source = self.setup.source
        self._worker = InferenceWorker(
            lambda obs, rtc: source.predict(obs, rtc=rtc), self._inputs, self._publish,
            self._now, stale_after=self.config.stale_after,
            trigger=self.config.trigger_config(), rtc=self.config.rtc).start()
        self._diag_timer = self.create_timer(self.config.diagnostics_period, self._diagnose)
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_worker()
        self.destroy_timer(self._diag_timer)
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._destroy_entities()
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_worker()
        self._destroy_entities()
        return SUCCESS

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def _destroy_entities(self) -> None:
        if hasattr(self, 'setup'):
            self.setup.source.close()
        for sub in self._subs:
            self.destroy_subscription(sub)
        self._subs = []
        for pub in ('_chunk_pub', '_diag_pub'):
            if hasattr(self, pub):
                self.destroy_lifecycle_publisher(getattr(self, pub))
                delattr(self, pub)

    # --- callbacks: store the latest input, nothing else ------------------------------------

    def _on_image(self, msg) -> None:
        try:
            if self._bridge is None:
                rgb = image_from_msg(msg)
            else:
                rgb = self._bridge.imgmsg_to_cv2(msg, desired_encoding='rgb8')
        except Exception as exc:  # cv_bridge raises CvBridgeError, ours MessageFormatError
            self.get_logger().warn(f'image: {exc}', throttle_duration_sec=5.0)
            return
        size = self.setup.image_size
        self._inputs.put_image(seconds_from_time(msg.header.stamp),
                               rgb if size is None else fit_image(rgb, *size))

    def _on_joint_state(self, msg) -> None:
        try:
            stamp, names, position, _ = joint_state_from_msg(msg)
        except RtrError as exc:
            self.get_logger().warn(f'joint state: {exc}', throttle_duration_sec=5.0)
            return
        self._inputs.put_joint_state(stamp, names, position)

    def _on_wrench(self, msg) -> None:
        stamp, wrench = wrench_from_msg(msg)
        self._inputs.put_wrench(stamp, wrench)

    def _on_executor_state(self, msg) -> None:
        if self._worker is not None:
            self._worker.on_executor_state(executor_state_from_msg(msg))

    def _publish(self, chunk) -> None:
        self._chunk_pub.publish(chunk_to_msg(chunk, self._types))

    def _diagnose(self) -> None:
        if self._worker is None:
            return
        level, message, values = policy_diagnostics(self._worker.stats(),
                                                    self.setup.source.stats())
        status = DiagnosticStatus(name=f'{NODE_NAME}: inference', hardware_id=NODE_NAME,
                                  level=bytes([level]), message=message,
                                  values=[KeyValue(key=k, value=v) for k, v in values])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diag_pub.publish(array)


def main(args=None) -> None:
    rclpy.init(args=args)
    node = PolicyNode()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node._stop_worker()
        node.destroy_node()
        rclpy.try_shutdown()
