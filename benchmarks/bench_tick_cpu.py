"""What one executor tick costs on a core: ChunkExecutor.tick in the demo's closed loop, by kind
of tick, beside the same fixed piece of work timed on the other core meanwhile.

Why: over ROS 2 (bench_ros) a few executor steps ran 17-44 ms *on a core* (time.thread_time,
which leaves out the hypervisor's reported steal) where they usually take 1.5-2.5 ms. Is there
a tick that computes that long, or does this machine stretch CPU time?

1. The demo's `rtr` configuration in process, simulated time (no threads, no ROS), the
   committed checkpoints, ``--episodes`` held-out episodes: every ``ChunkExecutor.tick`` timed
   with ``time.thread_time`` (on a core) and ``time.perf_counter`` (wall), grouped by what
   the tick did: executing a plan within the limits, a tick the safety filter limited
   (``clamped``: Ruckig), a splice tick, holding (a stop profile), idle.
2. Meanwhile, in a second process, a fixed piece of Python + numpy work (about a median
   tick's size) every 1/60 s: the same instructions every time, so any spread in its time on
   a core is the machine's (caches, the other hyperthread, frequency, steal the guest is not
   told of), not a code path.

Run: ``.venv/bin/python benchmarks/bench_tick_cpu.py [--episodes 24]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

FIXED_WORK = r'''
import json, select, sys, time
import numpy as np

def steal_ms():
    with open('/proc/stat') as f:
        return int(f.readline().split()[8]) * 10.0  # USER_HZ 100, all cores

rows = np.random.default_rng(0).normal(size=(64, 7))

def work():
    s = 0.0
    for i in range(300):
        s += float(np.dot(rows[i % 64], rows[(i + 1) % 64]))
    return s

cpu, wall, steal = [], [], []
deadline = time.monotonic()
while not select.select([sys.stdin], [], [], 0)[0]:  # until the parent writes or closes
    s0, c0, w0 = steal_ms(), time.thread_time(), time.perf_counter()
    work()
    cpu.append(time.thread_time() - c0)
    wall.append(time.perf_counter() - w0)
    steal.append(steal_ms() - s0)
    deadline += 1 / 60
    time.sleep(max(0.0, deadline - time.monotonic()))
json.dump({'cpu': cpu, 'wall': wall, 'steal': steal}, sys.stdout)
'''

KINDS = ('executing within the limits', 'limited (clamped)', 'splice', 'holding', 'idle')


def kind(result) -> str:
    from rtr_core.executor.state import MODE_EXECUTING, MODE_HOLDING

    if result.spliced:
        return 'splice'
    if result.clamped:
        return 'limited (clamped)'
    if result.mode == MODE_EXECUTING:
        return 'executing within the limits'
    return 'holding' if result.mode == MODE_HOLDING else 'idle'


def demo_ticks(episodes: int) -> list[tuple[str, float, float]]:
    """(kind, on-core s, wall s) of every executor tick of ``episodes`` demo episodes."""
    import torch

    from rtr_bringup.demo.artifacts import record_config, task_config
    from rtr_bringup.demo.closed_loop import ClosedLoop, bringup_config
    from rtr_bringup.demo.config import DemoConfig
    from rtr_core.policy import Policy
    from rtr_core.vae import ActionVAE
    from rtr_sim.recording import episode_seed
    from rtr_sim.runner import SimRunner

    torch.set_num_threads(1)
    config = DemoConfig.load(bringup_config('demo.yaml'))
    run = config.run('rtr')
    demo = ROOT / config.checkpoints
    vae = ActionVAE.load(demo / 'vae.pt')
    policy = Policy.load(demo / f'{run.policy}.pt', vae=vae)
    ticks = []
    with SimRunner(config.data.task, record_config(config, 0).runner,
                   task_config(config)) as sim:
        loop = ClosedLoop(sim, policy, run, config, vae=vae)
        tick = loop.executor.tick

        def timed(now):
            c0, w0 = time.thread_time(), time.perf_counter()
            result = tick(now)
            ticks.append((kind(result), time.thread_time() - c0, time.perf_counter() - w0))
            return result

        loop.executor.tick = timed
        for i in range(episodes):
            loop.episode(episode_seed(config.data.eval_seed, i))
            print(f'episode {i}: {len(ticks)} ticks', file=sys.stderr, flush=True)
    return ticks


def row(name: str, cpu_ms: np.ndarray, wall_ms: np.ndarray) -> str:
    if cpu_ms.size == 0:
        return f'| {name} | 0 | | | | | |'
    p50, p99, p999 = np.percentile(cpu_ms, [50, 99, 99.9])
    return (f'| {name} | {cpu_ms.size} | {p50:.3f} | {p99:.3f} | {p999:.3f} | '
            f'{cpu_ms.max():.2f} | {wall_ms.max():.2f} |')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--episodes', type=int, default=24, help='held-out episodes '
                        '(24: about as many ticks as bench_ros --runs 12 --against)')
    args = parser.parse_args(argv)
    probe = subprocess.Popen([sys.executable, '-c', FIXED_WORK], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    start = time.perf_counter()
    try:
        ticks = demo_ticks(args.episodes)
    finally:
        probe.stdin.write('stop\n')
        probe.stdin.close()
        fixed = json.loads(probe.stdout.read())
        probe.wait()
    seconds = time.perf_counter() - start
    print(f'{args.episodes} held-out episodes of the demo\'s `rtr` run in process (simulated '
          f'time, one torch thread), {seconds:.0f} s; load average '
          f'{os.getloadavg()[0]:.1f} after.\n')
    print('| executor tick | ticks | on a core p50 ms | p99 | p99.9 | max | wall max ms |')
    print('|---|---|---|---|---|---|---|')
    names = np.array([k for k, _, _ in ticks])
    cpu = np.array([c for _, c, _ in ticks]) * 1e3
    wall = np.array([w for _, _, w in ticks]) * 1e3
    for name in KINDS:
        print(row(name, cpu[names == name], wall[names == name]))
    print(row('**all ticks**', cpu, wall))
    f_cpu, f_wall = np.array(fixed['cpu']) * 1e3, np.array(fixed['wall']) * 1e3
    print(row('*the same fixed work, other process, meanwhile*', f_cpu, f_wall))
    steal = np.array(fixed['steal'])
    worst = np.argsort(f_cpu)[-5:][::-1]
    print('\nThe fixed work\'s 5 longest times on a core: '
          + ', '.join(f'{f_cpu[i]:.2f} ms (steal reported meanwhile {steal[i]:.0f} ms)'
                      for i in worst)
          + f'; its max is {f_cpu.max() / np.median(f_cpu):.1f}x its median. '
          f'Ticks over 10 ms on a core: {int((cpu > 10).sum())} of {cpu.size}.')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
