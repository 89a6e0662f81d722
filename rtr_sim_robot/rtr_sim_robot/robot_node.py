"""rtr_sim_robot: the MuJoCo arm in real time behind the topics of a real robot's ROS 2 set-up.

What ros2_control (joint_state_broadcaster, joint_trajectory_controller,
forward_position_controller, force_torque_sensor_broadcaster) and realsense2_camera expose,
topic names from rtr_core.topics:

- out: /joint_states (JointState at ``joint_state_rate``, default 500 Hz), the F/T wrench
  (WrenchStamped, same rate), the camera Image + CameraInfo (sensor-data QoS, 30 Hz)
- in:  /joint_trajectory_controller/joint_trajectory (JointTrajectory, JTC semantics: a new
  trajectory replaces the running one, stamp 0 = now; rtr_sim.control.jtc),
  /forward_position_controller/commands (Float64MultiArray)

Wiring only: physics, controllers, task and scoring are rtr_sim's SimRunner. A loop
(rtr_core.realtime.PeriodicLoop at the joint-state rate) advances the physics to the wall
clock and publishes; stamps are the node clock at activation plus the simulated time (on a
machine too slow for real time the physics drops what it is behind beyond ``max_lag``). The
simulator lives on ONE thread from configure to cleanup (built, reset, stepped and closed
there): its camera's EGL context can be current in one thread only.

Lifecycle: configure builds the workcell; activate starts an episode (seed from ``seed`` and
the activation count); when the task's time plus ``extra_time`` has passed, the episode is
scored and written to ``result_path`` (JSON; the per-tick trace of the episode beside it,
its ``trace_file``) and the arm keeps holding what it is commanded;
deactivate stops the physics.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from rtr_core.atomic import write_text
from rtr_core.config import flatten, from_parameters
from rtr_core.errors import RtrError
from rtr_core.msgs import (
    MessageTypes,
    camera_info_to_msg,
    float64_array_from_msg,
    image_to_msg,
    joint_state_to_msg,
    trajectory_from_msg,
    wrench_to_msg,
)
from rtr_core.realtime import PeriodicLoop
from rtr_core.trajectory import TrajectoryWindow
from rtr_ros.lifecycle import ConfiguredEntities, declare_config_parameters, logged_transitions
from rtr_ros.spin import run_nodes

from .config import NODE_NAME, SimRobotConfig

SUCCESS = TransitionCallbackReturn.SUCCESS


@logged_transitions
class SimRobotNode(LifecycleNode):
    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        self._defaults = flatten(SimRobotConfig())
        declare_config_parameters(self, self._defaults)
        self._types = MessageTypes.from_ros_packages()
        self._sim = None
        self._sim_thread: ThreadPoolExecutor | None = None  # the thread the simulator lives on
        self._loop: PeriodicLoop | None = None
        self._running = None  # the loop's future on the simulator thread
        self._episodes = 0
        self._lock = threading.Lock()  # the loop thread vs the command callbacks' counters
        self._command_group = MutuallyExclusiveCallbackGroup()
        self._configured = ConfiguredEntities(self)

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # --- lifecycle --------------------------------------------------------------------------

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        from rtr_sim.runner import RunnerConfig, SimRunner

        values = {name: self.get_parameter(name).value for name in self._defaults}
        # every override given (file, command line) is checked: a typo is refused, not dropped
        self.config = cfg = from_parameters(SimRobotConfig, values, self._parameter_overrides,
                                            f'{NODE_NAME} parameters')
        runner = RunnerConfig(physics_rate=cfg.physics_rate, camera_rate=cfg.camera_rate,
                              image_width=cfg.image_width, image_height=cfg.image_height)
        self._sim_thread = ThreadPoolExecutor(1, thread_name_prefix='rtr-sim')
        self._sim = self._sim_thread.submit(
            SimRunner, cfg.task, runner, cfg.write if cfg.task == 'write' else None).result()
        t, topics, own = self._types, cfg.topics, self._configured.add
        pub, sensor = self.create_lifecycle_publisher, qos_profile_sensor_data
        self._joint_pub = own(pub(t.JointState, topics.joint_states, 10))
        self._wrench_pub = own(pub(t.WrenchStamped, topics.wrench, 10))
        self._image_pub = own(pub(t.Image, topics.camera_image, sensor))
        self._info_pub = own(pub(t.CameraInfo, topics.camera_info, sensor))
        command = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)  # as JTC
        own(self.create_subscription(t.JointTrajectory, topics.joint_trajectory,
                                     self._on_trajectory, command,
                                     callback_group=self._command_group))
        own(self.create_subscription(t.Float64MultiArray, topics.forward_commands,
                                     self._on_forward, command,
                                     callback_group=self._command_group))
        self.get_logger().info(f'{cfg.task} workcell, joints {list(self._sim.arm.joint_names)}, '
                               f'joint states at {cfg.joint_state_rate:g} Hz')
        return SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        from rtr_sim.recording.episode import episode_seed

        cfg = self.config
        index = cfg.first_episode + self._episodes
        self._episodes += 1
        self._seed = episode_seed(cfg.seed, index)
        self._sim_thread.submit(self._sim.reset, self._seed).result()
        self._end = self._sim.episode.duration + cfg.extra_time
        self._t0 = self._now()
        self._wall0 = time.monotonic()  # moves forward where the physics drops a backlog
        self._activated = self._wall0
        self._windows: list[float] = []  # wall time (monotonic) each accepted trajectory arrived
        self._forward = 0
        self._rejected = 0
        self._published = 0
        self._lag_dropped = 0.0
        self._origins = [(0.0, self._t0)]  # (simulated time, stamp of simulated time 0)
        self._result = None
        result = super().on_activate(state)
        self._loop = PeriodicLoop(1.0 / cfg.joint_state_rate, self._step, name='rtr-sim-robot')
        self._running = self._sim_thread.submit(self._loop.run)
        self.get_logger().info(f'episode {index} (seed {self._seed}): '
                               f'{self._sim.episode.duration:.1f} s of {cfg.task}')
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_loop()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._destroy_entities()
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_loop()
        self._destroy_entities()
        return SUCCESS

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.stop()
            self._running.result(timeout=10)
            if self._loop.error is not None:
                self.get_logger().error(f'simulation loop failed: {self._loop.error!r}')
            self._loop = None

    def _destroy_entities(self) -> None:
        self._configured.destroy()
        if self._sim is not None:
            self._sim_thread.submit(self._sim.close).result()
            self._sim = None
        if self._sim_thread is not None:
            self._sim_thread.shutdown()
            self._sim_thread = None

    # --- commands: the controllers' topics ----------------------------------------------------

    def _on_trajectory(self, msg) -> None:
        from rtr_sim.control.jtc import TrajectoryRejected

        sim = self._sim
        if sim is None or sim.episode is None:
            return
        try:
            stamp, names, times, positions, velocities = trajectory_from_msg(msg)
            with self._lock:
                sim_stamp = 0.0 if stamp == 0.0 else stamp - self._t0
            sim.send_trajectory(TrajectoryWindow(names, times, positions, velocities),
                                sim_stamp)
        except (TrajectoryRejected, RtrError) as exc:
            with self._lock:
                self._rejected += 1
            self.get_logger().warn(f'{self.config.topics.joint_trajectory}: rejected: {exc}',
                                   throttle_duration_sec=2.0)
            return
        with self._lock:
            self._windows.append(time.monotonic())

    def _on_forward(self, msg) -> None:
        if self._sim is None or self._sim.episode is None:
            return
        try:
            self._sim.send_positions(float64_array_from_msg(msg))
        except RtrError as exc:
            self.get_logger().warn(f'{self.config.topics.forward_commands}: {exc}',
                                   throttle_duration_sec=2.0)
            return
        with self._lock:
            self._forward += 1

    # --- the real-time loop --------------------------------------------------------------------

    def _step(self) -> None:
        sim, t, names = self._sim, self._types, self._sim.arm.joint_names
        target = time.monotonic() - self._wall0
        behind = target - sim.time
        if behind > self.config.max_lag:  # a machine too slow for real time: drop the backlog
            skip = behind - self.config.max_lag
            with self._lock:  # the command callbacks convert stamps with _t0
                self._wall0 += skip
                self._t0 += skip
            self._lag_dropped += skip
            self._origins.append((sim.time, self._t0))
            target -= skip
        for obs in sim.run_until(target):
            if obs.image is not None:
                stamp = self._t0 + obs.stamp
                self._image_pub.publish(image_to_msg(stamp, obs.image, t))
                k = sim.camera_intrinsics
                self._info_pub.publish(camera_info_to_msg(stamp, k.width, k.height, k.fx, k.fy,
                                                          k.cx, k.cy, t))
        stamp = self._t0 + sim.time
        position, velocity, wrench = sim.measured()
        self._joint_pub.publish(joint_state_to_msg(stamp, names, position, t, velocity))
        self._wrench_pub.publish(wrench_to_msg(stamp, wrench, t))
        self._published += 1
        if self._result is None and sim.time >= self._end:
            self._finish()

    def _finish(self) -> None:
        """Score the episode (the task's own metrics) and write the result file."""
        sim = self._sim
        result = sim.evaluate()
        with self._lock:
            windows = np.array(self._windows)
            rejected, forward = self._rejected, self._forward
        # per wall-clock second (the simulated time runs slower where max_lag dropped some)
        first = float(windows[0] - self._activated) if windows.size else float('nan')
        span = time.monotonic() - windows[0] if windows.size else 0.0
        self._result = {
            'seed': self._seed, 'task': self.config.task, 'success': bool(result.success),
            'task_metrics': result.metrics, 'duration_s': sim.time,
            'windows': {'accepted': int(windows.size), 'rejected': rejected,
                        'first_at_wall_s': first,
                        'per_second': float(windows.size / span) if span > 0 else 0.0},
            'forward_commands': forward,
            'joint_states_per_second': self._published / max(sim.time, 1e-9),
            'lag_dropped_s': self._lag_dropped,
            # stamp = origin + simulated time, from the simulated time of each pair on
            'stamp_origins': [list(pair) for pair in self._origins],
            # the per-tick trace (rtr_sim EpisodeTrace.load; simulated time)
            'trace_file': f'{self.config.result_path}.trace.npz' if self.config.result_path
            else '',
            'loop': dataclasses.asdict(self._loop.stats()) if self._loop is not None else {},
        }
        self.get_logger().info(f'episode done: success {result.success}, '
                               f'{windows.size} windows ({rejected} rejected)')
        if self.config.result_path:
            # the per-tick trace first: the JSON's appearance says the episode is complete
            sim.trace().save(self._result['trace_file'])
            write_text(self.config.result_path,
                       json.dumps(self._result, indent=2, sort_keys=True, default=float))


def main(args=None) -> int:
    """The simulated robot alone in its process, until SIGINT/SIGTERM (exit status 0)."""
    return run_nodes([SimRobotNode], args)
