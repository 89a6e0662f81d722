"""The safety filter: how limited targets are reached, and what the filter costs per tick.

Step responses: one joint told to go to 0.5 rad at once (v 2 rad/s, a 10 rad/s^2, several
jerk limits, from rest and while moving at +-1.5 rad/s): the peak (overshoot past the
target), the largest acceleration and jerk of the commands (backward differences at 60 Hz,
against the limits) and the time until the command stays within 1 mrad of the target.
Cost: microseconds per call of ``SafetyFilter.apply`` for the rtr arm's 7 joints and its
limits (config/rtr_nodes.yaml) when a plan passes unchanged and when it is limited, and of a
whole ``ChunkExecutor.tick`` (naive, 0.3 s window) in both cases.

Run: ``.venv/bin/python benchmarks/bench_safety.py``
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from pathlib import Path

import numpy as np

from rtr_core.chunk import Chunk
from rtr_core.config import load_yaml
from rtr_core.executor.config import ExecutorConfig, SafetyConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.safety import Command, SafetyFilter

T = 1 / 60
NODES_YAML = Path(__file__).resolve().parents[1] / 'rtr_bringup' / 'config' / 'rtr_nodes.yaml'


def step(jerk: float, start_velocity: float, ticks: int = 180) -> dict:
    f = SafetyFilter(ExecutorConfig(joint_names=('j',), safety=SafetyConfig(
        max_velocity=2.0, max_acceleration=10.0, max_jerk=jerk, max_step=1.0)))
    command = Command(np.zeros(1), np.array([start_velocity]), np.zeros(1), np.zeros(1))
    q = [-2 * start_velocity * T, -start_velocity * T, 0.0]
    for _ in range(ticks):
        command = f.apply(np.array([0.5]), command)
        q.append(command.position[0])
    q = np.array(q)
    outside = np.flatnonzero(np.abs(q - 0.5) > 1e-3)
    return {'peak': q.max(), 'acc': np.abs(np.diff(q, 2)).max() / T**2,
            'jerk': np.abs(np.diff(q, 3)).max() / T**3,
            'reach': (outside[-1] + 1 - 2) * T if outside.size else 0.0}


def per_call_us(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e6)


def main() -> int:
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, python '
          f'{platform.python_version()}, load {os.getloadavg()[0]:.1f}')
    print('\n0.5 rad step, v 2 rad/s, a 10 rad/s^2 (the old filter, without a jerk limit: '
          'peak 0.667 rad, jerk 1200 rad/s^3):\n')
    print('| jerk limit (rad/s^3) | start velocity (rad/s) | peak (rad) | overshoot (mrad) | '
          'max accel (rad/s^2) | max jerk (rad/s^3) | within 1 mrad after (s) |')
    print('|---|---|---|---|---|---|---|')
    for jerk in (100.0, 300.0, 5000.0):
        for v0 in (0.0, 1.5, -1.5):
            r = step(jerk, v0)
            print(f'| {jerk:g} | {v0:+.1f} | {r["peak"]:.4f} | '
                  f'{max(0.0, r["peak"] - 0.5) * 1e3:.3f} | {r["acc"]:.2f} | {r["jerk"]:.1f} | '
                  f'{r["reach"]:.3f} |')

    cfg = load_yaml(ExecutorConfig, NODES_YAML, 'rtr_chunk_executor.ros__parameters.executor')
    cfg = dataclasses.replace(cfg, strategy='naive')
    f = SafetyFilter(cfg)
    mid = (cfg.limit('position_lower') + cfg.limit('position_upper')) / 2
    t = np.arange(400) * T
    smooth = mid + 0.2 * np.sin(2 * np.pi * 0.3 * t)[:, None]  # within every limit
    state = {'k': 4, 'c': Command.at_rest(smooth[0])}
    for k in range(1, 4):
        state['c'] = state['c'].then(smooth[k], T)

    def passing():
        k = state['k']
        state['c'] = f.apply(smooth[k], state['c'], 1, smooth[k + 1])
        assert not state['c'].clamped
        state['k'] = k + 1

    far = mid + 0.5

    def limited():
        state['c'] = f.apply(far, state['c'])
        if not state['c'].clamped:  # arrived: start again from rest
            state['c'] = Command.at_rest(mid.copy())

    apply_pass = per_call_us(passing, 380)
    state['c'] = Command.at_rest(mid.copy())
    apply_limited = per_call_us(limited, 400)

    def tick_cost(positions, start) -> tuple[float, int]:
        times, clamped = [], 0
        for rep in range(5):
            ex = ChunkExecutor(cfg)
            ex.start(start, 0.0)
            ex.receive(Chunk(0.0, T, T, cfg.joint_names, positions, 1), 0.0)
            for k in range(1, 45):
                t0 = time.perf_counter()
                r = ex.tick(k * T)
                times.append(time.perf_counter() - t0)
                clamped += r.clamped and rep == 0
        return float(np.median(times) * 1e6), clamped

    tick_pass, c_pass = tick_cost(smooth[3:51], smooth[3])
    tick_limited, c_limited = tick_cost(np.repeat(far[None], 48, axis=0), mid)
    print('\nPer-tick cost, rtr arm (7 joints, config/rtr_nodes.yaml limits), median '
          'microseconds:\n')
    print('| case | SafetyFilter.apply | ChunkExecutor.tick (naive, 0.3 s window) | '
          'clamped ticks of 44 |')
    print('|---|---|---|---|')
    print(f'| plan within the limits (passes unchanged) | {apply_pass:.0f} | {tick_pass:.0f} | '
          f'{c_pass} |')
    print(f'| 0.5 rad step on every joint (Ruckig) | {apply_limited:.0f} | {tick_limited:.0f} | '
          f'{c_limited} |')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
