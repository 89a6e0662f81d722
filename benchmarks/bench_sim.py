"""Simulator speed: physics steps/s with and without the camera, and demo recording time.

    .venv/bin/python benchmarks/bench_sim.py [--episodes 10] [--workers 2] [--repeats 3]

Prints a markdown table (copy it into docs/benchmarks.md with the date and machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

os.environ.setdefault('MUJOCO_GL', 'egl')

from rtr_sim.experts import ScriptedExpert  # noqa: E402
from rtr_sim.recording import RecordConfig, record_dataset  # noqa: E402
from rtr_sim.runner import RunnerConfig, SimRunner  # noqa: E402


def closed_loop_rate(task: str, render: bool, seconds: float = 4.0) -> float:
    """Physics steps per second of the expert loop (JTC at every step, 60 Hz windows)."""
    with SimRunner(task, RunnerConfig(render=render)) as runner:
        runner.reset(seed=0)
        expert = ScriptedExpert(runner.kinematics, runner.episode)
        ticks = int(seconds * 60)
        start = time.perf_counter()
        for k in range(ticks):
            runner.send_trajectory(expert.window(k))
            runner.step_tick()
        wall = time.perf_counter() - start
        return ticks * runner.config.steps_per_tick / wall


def render_rate(task: str, frames: int = 300) -> float:
    with SimRunner(task) as runner:
        runner.reset(seed=0)
        start = time.perf_counter()
        for _ in range(frames):
            runner.camera.render(runner.data)
        return frames / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--episodes', type=int, default=10)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, python '
          f'{platform.python_version()}, MUJOCO_GL={os.environ["MUJOCO_GL"]}, '
          f'load {os.getloadavg()[0]:.2f}')
    print()
    print('| task | physics steps/s, no camera | physics steps/s, camera 30 Hz | '
          'realtime factor, camera | camera frames/s (96x96) |')
    print('|---|---|---|---|---|')
    for task in ('write', 'wipe'):
        bare = statistics.median(closed_loop_rate(task, False) for _ in range(args.repeats))
        cam = statistics.median(closed_loop_rate(task, True) for _ in range(args.repeats))
        frames = statistics.median(render_rate(task) for _ in range(args.repeats))
        print(f'| {task} | {bare:,.0f} | {cam:,.0f} | {cam / 600:.1f}x | {frames:,.0f} |')
    print()
    print(f'| recording ({args.workers} workers) | episodes | wall s | sim s | expert success |')
    print('|---|---|---|---|---|')
    total = 0.0
    with tempfile.TemporaryDirectory() as out:
        for task in ('write', 'wipe'):
            start = time.perf_counter()
            metas = record_dataset(os.path.join(out, task), args.episodes,
                                   RecordConfig(task=task), workers=args.workers,
                                   progress=False)
            wall = time.perf_counter() - start
            total += wall
            sim = sum(m['duration'] for m in metas)
            ok = sum(m['success'] for m in metas)
            print(f'| {task} | {len(metas)} | {wall:.1f} | {sim:.0f} | {ok}/{len(metas)} |')
    print(f'| both | {2 * args.episodes} | {total:.1f} | | |')


if __name__ == '__main__':
    main()
