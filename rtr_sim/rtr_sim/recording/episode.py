"""Record one expert episode as a rosbag2 with the topics and types a real robot has."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rtr_core.bag import BagWriter
from rtr_core.msgs import (
    MessageTypes,
    camera_info_to_msg,
    image_to_msg,
    joint_state_to_msg,
    window_to_msg,
    wrench_to_msg,
)
from rtr_core.topics import TOPICS, Topics

from ..experts import ScriptedExpert
from ..runner import RunnerConfig, SimRunner, TickObservation

#: custom_data key of the episode metadata (JSON) in the bag's metadata.yaml.
EPISODE_KEY = 'rtr.episode'
WRENCH_FRAME = 'ft_sensor'


@dataclass(frozen=True)
class RecordConfig:
    task: str = 'write'
    seed: int = 0  # with the episode index, seeds the episode's randomisation
    storage: str = 'mcap'
    window: float = 0.25  # seconds of plan in each JTC window
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    task_config: object = None  # WriteConfig / WipeConfig; None: the defaults
    topics: Topics = TOPICS


def episode_name(task: str, index: int) -> str:
    return f'{task}_{index:04d}'


def episode_seed(seed: int, index: int) -> int:
    """Independent seeds per (seed, index): episode 1 of seed 0 is not episode 0 of seed 1."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _write_observation(bag, obs: TickObservation, runner: SimRunner, types, topics) -> None:
    names = runner.arm.joint_names
    bag.write(topics.joint_states,
              joint_state_to_msg(obs.stamp, names, obs.position, types, velocity=obs.velocity),
              obs.stamp)
    bag.write(topics.wrench, wrench_to_msg(obs.stamp, obs.wrench, types, frame_id=WRENCH_FRAME),
              obs.stamp)
    if obs.image is not None:
        k = runner.camera_intrinsics
        bag.write(topics.camera_image, image_to_msg(obs.stamp, obs.image, types), obs.stamp)
        bag.write(topics.camera_info,
                  camera_info_to_msg(obs.stamp, k.width, k.height, k.fx, k.fy, k.cx, k.cy,
                                     types), obs.stamp)


def record_episode(out_dir: str | Path, index: int, config: RecordConfig | None = None) -> dict:
    """Run the expert for episode ``index`` and write ``out_dir/<task>_<index>``.

    Returns the episode metadata (also stored in the bag under ``custom_data``
    ``rtr.episode``). The bag appears only once complete.
    """
    config = config or RecordConfig()
    seed = episode_seed(config.seed, index)
    types = MessageTypes.from_rosbags()
    path = Path(out_dir) / episode_name(config.task, index)
    with SimRunner(config.task, config.runner, config.task_config) as runner:
        obs = runner.reset(seed)
        expert = ScriptedExpert(runner.kinematics, runner.episode,
                                config.runner.control_rate, config.window)
        with BagWriter(path, storage=config.storage) as bag:
            _write_observation(bag, obs, runner, types, config.topics)
            for tick in range(expert.ticks):
                window = expert.window(tick)
                runner.send_trajectory(window)
                bag.write(config.topics.joint_trajectory, window_to_msg(window, types),
                          runner.time)
                _write_observation(bag, runner.step_tick(), runner, types, config.topics)
            result = runner.evaluate()
            episode = runner.episode
            meta = {
                'task': config.task, 'index': index, 'seed': seed,
                'success': result.success, 'metrics': result.metrics, 'params': episode.params,
                'joint_names': list(runner.arm.joint_names),
                'control_rate': config.runner.control_rate,
                'camera_rate': config.runner.camera_rate if config.runner.render else None,
                'physics_rate': config.runner.physics_rate,
                'duration': runner.time, 'contact_window': list(episode.contact_window),
                'reference': np.round(episode.reference, 5).tolist(),
                'topics': config.topics.as_dict(),
            }
            bag.set_custom_data(EPISODE_KEY, json.dumps(meta))
    return meta
