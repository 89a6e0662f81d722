"""Parameters of the simulated robot node: one typed config, no ROS needed to read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtr_core.errors import RtrError
from rtr_core.topics import Topics
from rtr_sim.tasks import WriteConfig

NODE_NAME = 'rtr_sim_robot'


@dataclass(frozen=True)
class SimRobotConfig:
    """The MuJoCo arm and its task in real time, behind the topics of a ros2_control (JTC,
    forward position controller, joint_state_broadcaster, force_torque_sensor_broadcaster)
    and realsense2_camera set-up."""

    task: str = 'write'
    write: WriteConfig = field(default_factory=WriteConfig)
    # activation n (0, 1, ...) runs the episode of rtr_sim.recording.episode_seed(seed, n)
    seed: int = 1000
    first_episode: int = 0
    joint_state_rate: float = 500.0  # Hz: /joint_states and the wrench, as a 500 Hz controller
    physics_rate: float = 600.0  # Hz (the rate the demo's training data was recorded at)
    camera_rate: float = 30.0  # Hz
    image_width: int = 96
    image_height: int = 96
    extra_time: float = 1.0  # s the episode is scored past the task's planned duration
    # s the physics may fall behind the wall clock; beyond it the backlog is dropped (the
    # world runs slower, stamps stay current) and counted in the result as lag_dropped_s
    max_lag: float = 0.05
    result_path: str = ''  # JSON with the episode's score, written when it ends ('' = none)
    topics: Topics = field(default_factory=Topics)

    def __post_init__(self) -> None:
        if not 0 < self.joint_state_rate <= 2000:
            raise RtrError(f'{NODE_NAME}: joint_state_rate={self.joint_state_rate}: expected '
                           '0 < Hz <= 2000')
        if self.extra_time < 0:
            raise RtrError(f'{NODE_NAME}: extra_time={self.extra_time}: expected >= 0 s')
