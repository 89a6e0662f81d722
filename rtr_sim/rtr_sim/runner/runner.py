"""Closed-loop simulation: step the physics, read sensors at their rates, apply commands.

Callers (the scripted expert, the executor, the demo) drive it from one loop::

    runner = SimRunner('write')
    obs = runner.reset(seed=0)              # tick 0 observation
    while not runner.done:
        runner.send_trajectory(window)      # JTC window received now (stamp 0)
        obs = runner.step_tick()            # physics up to the next 60 Hz tick

Simulated time is exact and deterministic; ``run_until(t)`` lets a caller model latency
(e.g. deliver a chunk 0.23 s after its observation). With ``realtime=True`` every tick is
paced against the wall clock instead. Commands are applied at the current simulated time
under a lock, so another thread may send them while the loop runs in real time.
"""

from __future__ import annotations

import math
import threading
import time

import mujoco
import numpy as np

from rtr_core.errors import RtrError
from rtr_core.trajectory import TrajectoryWindow

from ..arm.kinematics import Kinematics
from ..arm.spec import spec_from_model
from ..arm.tools import TIP_GEOM, TIP_SITE
from ..control import ForwardPositionController, JointTrajectoryController
from ..tasks import Episode, EpisodeTrace, Task, TaskResult, make_task
from .camera import Camera
from .config import RunnerConfig
from .observation import CameraIntrinsics, TickObservation
from .world import build_model


class SimRunner:
    """One task's workcell in MuJoCo with a JTC-like and a forward position controller."""

    def __init__(self, task: str | Task = 'write', config: RunnerConfig | None = None,
                 task_config=None):
        self.config = config or RunnerConfig()
        self.task = make_task(task, task_config) if isinstance(task, str) else task
        cfg = self.config
        self.model = build_model(self.task, cfg.physics_rate, (cfg.image_width,
                                                               cfg.image_height))
        self.data = mujoco.MjData(self.model)
        self.arm = spec_from_model(self.model)
        self.kinematics = Kinematics(self.model, self.arm)
        self._qadr = self.kinematics.qpos_index
        self._dof = self.kinematics.dof_index
        self._kv_over_kp = self.model.actuator_biasprm[:, 2] / self.model.actuator_biasprm[:, 1]
        self._tip_geom = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, TIP_GEOM)
        self._tip_site = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SITE, TIP_SITE)
        self._force_adr = self.model.sensor_adr[
            mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SENSOR, 'ft_force')]
        self._torque_adr = self.model.sensor_adr[
            mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SENSOR, 'ft_torque')]
        self.camera = Camera(self.model, cfg.image_width, cfg.image_height) if cfg.render \
            else None
        self.trajectory_controller = JointTrajectoryController(self.arm.joint_names,
                                                               self.arm.home)
        self.forward_controller = ForwardPositionController(self.arm.joint_names,
                                                            self.arm.home)
        self._controller = self.trajectory_controller
        self._lock = threading.Lock()
        self._acc = np.zeros(self.model.nv)
        self._macc = np.zeros(self.model.nv)
        self._contact = np.zeros(6)
        self._step = 0
        self._force_sum = 0.0
        self._wall0 = 0.0
        self._rows: list[tuple] = []
        self.episode: Episode | None = None
        self.latest: TickObservation | None = None

    # --- episode --------------------------------------------------------------------------

    def reset(self, seed: int = 0) -> TickObservation:
        """Start a new randomised episode at the home posture; returns the tick-0 readings."""
        mujoco.mj_resetDataKeyframe(self.model, self.data, 0)
        mujoco.mj_forward(self.model, self.data)
        start_tip = self.kinematics.tip_pose(self.arm.home)[0]
        rng = np.random.default_rng(seed)
        self.episode = self.task.new_episode(self.model, rng, start_tip, seed,
                                             self.config.control_rate)
        with self._lock:
            self.trajectory_controller.hold(self.arm.home)
            self.forward_controller.hold(self.arm.home)
            self._controller = self.trajectory_controller
        self._step = 0
        self._force_sum = 0.0
        self._rows = []
        self._wall0 = time.perf_counter()
        return self._observe()

    @property
    def time(self) -> float:
        """Simulated time in seconds since the episode started."""
        return self._step / self.config.physics_rate

    @property
    def tick(self) -> int:
        return self._step // self.config.steps_per_tick

    @property
    def done(self) -> bool:
        """True once the episode's planned duration has passed."""
        return self.episode is not None and self.time >= self.episode.duration - 1e-9

    @property
    def camera_intrinsics(self) -> CameraIntrinsics | None:
        return None if self.camera is None else self.camera.intrinsics

    # --- commands -------------------------------------------------------------------------

    def send_trajectory(self, window: TrajectoryWindow, stamp: float = 0.0) -> None:
        """Give the JTC-like controller a new trajectory, received now (replaces the old)."""
        with self._lock:
            if self._controller is not self.trajectory_controller:
                self.trajectory_controller.hold(self._controller.sample(self.time)[0])
                self._controller = self.trajectory_controller
            self.trajectory_controller.set_trajectory(window, self.time, stamp)

    def send_positions(self, positions) -> None:
        """Forward-position mode: the servo targets ``positions`` (J,) from now on."""
        with self._lock:
            self.forward_controller.set_positions(positions)
            self._controller = self.forward_controller

    # --- stepping -------------------------------------------------------------------------

    def run_until(self, t: float) -> list[TickObservation]:
        """Simulate up to time ``t``; returns the observations of the ticks passed."""
        if self.episode is None:
            raise RtrError('SimRunner: call reset() before stepping')
        out = []
        last = math.ceil(t * self.config.physics_rate - 1e-6)
        per_tick = self.config.steps_per_tick
        while self._step < last:
            self._physics_step()
            if self._step % per_tick == 0:
                out.append(self._observe())
                if self.config.realtime:
                    delay = self._wall0 + self.time - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
        return out

    def measured(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Joint positions, velocities and the F/T wrench now, between ticks too (what a
        500 Hz joint_state_broadcaster and force_torque_sensor_broadcaster read).

        The sensors are evaluated on the state now, as at a tick (``_observe``): after a
        physics step MuJoCo's sensor data are still those of the step before, and the pen's
        contact force read so differed by up to 0.5 N from the tick observations the policies
        are trained on (over ROS 2 the demo policy then traced 10-12 mm off instead of 5).
        The solver's warm start is kept, so reading changes nothing in the simulation."""
        d = self.data
        warm = d.qacc_warmstart.copy()
        mujoco.mj_forward(self.model, d)
        d.qacc_warmstart[:] = warm
        wrench = np.concatenate([d.sensordata[self._force_adr:self._force_adr + 3],
                                 d.sensordata[self._torque_adr:self._torque_adr + 3]])
        return d.qpos[self._qadr].copy(), d.qvel[self._dof].copy(), wrench

    def step_tick(self) -> TickObservation:
        """Simulate to the next control tick and return its observation."""
        return self.run_until((self.tick + 1) / self.config.control_rate)[-1]

    def _physics_step(self) -> None:
        m, d = self.model, self.data
        mujoco.mj_step1(m, d)
        with self._lock:
            q_d, v_d, a_d = self._controller.sample(self.time)
        # servo: kp (q_d - q) + kv (v_d - v), within the effort limits, by the actuators
        # (position actuators, integrated implicitly); the model-based feed-forward
        # (gravity, Coriolis, inertia times the desired acceleration) is added on top
        d.ctrl[:] = q_d + self._kv_over_kp * v_d
        self._acc[self._dof] = a_d
        mujoco.mj_mulM(m, d, self._macc, self._acc)
        d.qfrc_applied[:] = 0.0
        d.qfrc_applied[self._dof] = d.qfrc_bias[self._dof] + self._macc[self._dof]
        mujoco.mj_step2(m, d)
        self._force_sum += self._tip_contact_force()
        self._step += 1

    def _tip_contact_force(self) -> float:
        total = 0.0
        d = self.data
        for i in range(d.ncon):
            c = d.contact[i]
            if self._tip_geom in (c.geom1, c.geom2):
                mujoco.mj_contactForce(self.model, d, i, self._contact)
                total += self._contact[0]
        return total

    def _observe(self) -> TickObservation:
        m, d = self.model, self.data
        mujoco.mj_forward(m, d)
        tick, stamp = self.tick, self.time
        tip = d.site_xpos[self._tip_site].copy()
        # the mean over the tick's physics steps: momentum the surface took, divided by time
        force = self._force_sum / self.config.steps_per_tick if self._step else 0.0
        self._force_sum = 0.0
        self.task.on_tick(m, tip, force)
        image = None
        if self.camera is not None and tick % self.config.ticks_per_frame == 0:
            image = self.camera.render(d)
        wrench = np.concatenate([d.sensordata[self._force_adr:self._force_adr + 3],
                                 d.sensordata[self._torque_adr:self._torque_adr + 3]])
        obs = TickObservation(tick, stamp, d.qpos[self._qadr].copy(), d.qvel[self._dof].copy(),
                              wrench, image)
        with self._lock:
            desired = self._controller.sample(stamp)[0]
        self._rows.append((stamp, obs.position, obs.velocity, desired, tip, force))
        self.latest = obs
        return obs

    # --- results --------------------------------------------------------------------------

    def trace(self) -> EpisodeTrace:
        """Per-tick record of the episode so far (joints, desired, tip, contact force)."""
        cols = list(zip(*self._rows, strict=True))
        return EpisodeTrace(np.array(cols[0]), np.array(cols[1]), np.array(cols[2]),
                            np.array(cols[3]), np.array(cols[4]), np.array(cols[5]))

    def evaluate(self) -> TaskResult:
        """The task's success and metrics for the episode so far."""
        if self.episode is None:
            raise RtrError('SimRunner: no episode to evaluate; call reset() first')
        return self.task.evaluate(self.episode, self.trace())

    def close(self) -> None:
        if self.camera is not None:
            self.camera.close()
            self.camera = None

    def __enter__(self) -> SimRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
