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

Threads: inference runs in the worker's thread with one torch thread by default. The camera,
joint states and wrench (the latter two often at 500 Hz) never wake the executor: the worker
takes the newest of each when it infers (rtr_ros.latest.LatestMessage) and only then converts
them, so an image costs nothing until a chunk is planned from it. Images are read by
rtr_core.msgs.image_from_msg (rgb8, bgr8, rgba8, bgra8, mono8; cv_bridge's results bit for
bit); cv_bridge, where installed, converts any other encoding.
"""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy

from rtr_core.config import flatten, from_parameters
from rtr_core.diagnostics import policy_diagnostics
from rtr_core.errors import RtrError
from rtr_core.images import fit_image
from rtr_core.inference import InferenceWorker, LatestInputs
from rtr_core.msgs import (
    IMAGE_ENCODINGS,
    MessageTypes,
    chunk_to_msg,
    executor_state_from_msg,
    image_from_msg,
    joint_state_from_msg,
    seconds_from_time,
    wrench_from_msg,
)
from rtr_ros.latest import LatestMessage
from rtr_ros.lifecycle import ConfiguredEntities, declare_config_parameters, logged_transitions
from rtr_ros.spin import run_nodes

from .config import NODE_NAME, PolicyNodeConfig, load_policy

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE


class TakenInputs(LatestInputs):
    """The policy's inputs, taken from their topics (and converted) when inference reads
    them."""

    def __init__(self, joint_names, inputs, readers: dict, convert: dict):
        super().__init__(joint_names, inputs)
        self._readers = readers  # input name -> LatestMessage
        self._convert = convert  # input name -> msg -> (stamp, value) or None
        self._taken = {}  # input name -> the message last put

    def observation(self, now: float, stale_after: float):
        for name, reader in self._readers.items():
            msg = reader.take()
            if msg is not None and msg is not self._taken.get(name):
                self._taken[name] = msg
                value = self._convert[name](msg)
                if value is not None:
                    self._put(name, *value)
        return super().observation(now, stale_after)


@logged_transitions
class PolicyNode(LifecycleNode):
    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        self._defaults = flatten(PolicyNodeConfig())
        declare_config_parameters(self, self._defaults)  # dynamic: ints for floats
        self._types = MessageTypes.from_ros_packages()
        self._bridge = _cv_bridge()
        self._worker: InferenceWorker | None = None
        self._configured = ConfiguredEntities(self)
        self._readers: dict[str, LatestMessage] = {}

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
        own = self._configured.add
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._chunk_pub = own(self.create_lifecycle_publisher(t.ActionChunk,
                                                              cfg.action_chunk_topic, reliable))
        self._diag_pub = own(self.create_lifecycle_publisher(DiagnosticArray, '/diagnostics', 10))
        kinds = {'image': (t.Image, self._image), 'joint_positions': (t.JointState,
                                                                      self._joint_state),
                 'wrench': (t.WrenchStamped, self._wrench)}
        self._readers = {name: own(LatestMessage(self, kinds[name][0], topic))
                         for name, topic in topics.items()}
        self._inputs = TakenInputs(policy.joint_names, self.setup.inputs, self._readers,
                                   {name: kinds[name][1] for name in topics})
        own(self.create_subscription(t.ExecutorState, cfg.executor_state_topic,
                                     self._on_executor_state, reliable))
        warm = ' / '.join(f'{1e3 * s:.0f}' for s in self.setup.warm_up_s) or 'off'
        self.get_logger().info(f'policy {policy.name} {policy.version}: inputs {topics}, '
                               f'trigger {cfg.trigger}, rtc {cfg.rtc}, warm-up {warm} ms')
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
        self._configured.destroy()
        self._readers = {}

    # --- inputs: converted in the inference thread when it takes them ----------------------

    def _image(self, msg):
        try:
            if msg.encoding in IMAGE_ENCODINGS or self._bridge is None:
                rgb = image_from_msg(msg)
            else:
                rgb = self._bridge.imgmsg_to_cv2(msg, desired_encoding='rgb8')
        except Exception as exc:  # ours raise RtrError; cv_bridge CvBridgeError and others
            self.get_logger().warn(f'image: {exc}', throttle_duration_sec=5.0)
            return None
        size = self.setup.image_size
        return (seconds_from_time(msg.header.stamp),
                rgb if size is None else fit_image(rgb, *size))

    def _joint_state(self, msg):
        try:
            stamp, names, position, _ = joint_state_from_msg(msg)
        except RtrError as exc:
            self.get_logger().warn(f'joint state: {exc}', throttle_duration_sec=5.0)
            return None
        return stamp, (tuple(names), position)

    def _wrench(self, msg):
        return wrench_from_msg(msg)

    # --- callbacks ----------------------------------------------------------------------------

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


def _cv_bridge():
    """cv_bridge's converter where installed (for encodings we do not read), else None."""
    try:
        from cv_bridge import CvBridge
    except ImportError:
        return None
    return CvBridge()


def main(args=None) -> int:
    """The node alone in its process, until SIGINT/SIGTERM (exit status 0)."""
    return run_nodes([PolicyNode], args)
