"""Soak: one simulated hour at 60 Hz (216,000 ticks) of the executor with random latency;
memory, tick time and timeline sampled throughout.

The executor (``rtr`` strategy with an action VAE of the default architecture, random weights
so no training is needed, and the rtr_sim arm's limits) is driven on a simulated clock whose
ticks wake up to 2 ms late or early. A policy stand-in answers every inference request with
a 48-action chunk of a smooth periodic reference (seven joints, periods 4-11 s) plus a fresh
smooth prediction error, 100-400 ms (uniform) after its observation. No physics: the soak is
about the executor's own state, which must not grow or drift.

Sampled every simulated minute: resident memory (VmRSS), Python objects tracked by the
garbage collector, the median/p99/max of the wall time of ``tick`` and of ``receive``, the
mean deviation of the commands from the reference, and the timeline: the tick the executor
reports against the tick of the clock (any difference is drift).

Run: ``.venv/bin/python benchmarks/bench_soak.py [--ticks 216000]``
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import time
from dataclasses import dataclass, field

import numpy as np

from rtr_core.chunk import Chunk
from rtr_core.evaluation.chunk_stream import StreamConfig, _error
from rtr_core.executor.config import ExecutorConfig, SafetyConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_HOLDING

T = 1.0 / 60.0
H = 48
MINUTE = 3600


def rss_mb() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return float('nan')


def _executor() -> ChunkExecutor:
    import torch

    from rtr_core.vae import ActionVAE, VAEConfig
    from rtr_core.vae.normaliser import MinMaxNormaliser
    from rtr_sim.arm.spec import arm_spec

    arm = arm_spec()
    config = ExecutorConfig(joint_names=arm.joint_names, strategy='rtr', safety=SafetyConfig(
        position_lower=tuple(arm.lower), position_upper=tuple(arm.upper),
        max_velocity=tuple(arm.max_velocity), max_acceleration=tuple(arm.max_acceleration),
        max_jerk=tuple(arm.max_jerk), max_step=tuple(arm.max_velocity * T)))
    torch.manual_seed(0)
    vae = ActionVAE(VAEConfig(horizon=H, action_dim=arm.dof, dt=T, per_joint=False),
                    MinMaxNormaliser(arm.lower, arm.upper), arm.joint_names)
    return ChunkExecutor(config, action_vae=vae)


class Reference:
    """A smooth periodic motion inside the limits (amplitude 30% of each joint's range)."""

    def __init__(self, lower: np.ndarray, upper: np.ndarray):
        self.centre = (lower + upper) / 2
        self.amplitude = 0.3 * (upper - lower) / 2
        self.omega = 2 * np.pi / np.linspace(4.0, 11.0, lower.size)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        return self.centre + self.amplitude * np.sin(np.outer(t, self.omega))


@dataclass
class SoakResult:
    ticks: int
    wall_s: float
    samples: list[dict] = field(default_factory=list)
    drift_ticks: int = 0  # ticks whose reported tick differed from the clock's
    accepted: int = 0
    rejected: int = 0
    holding_ticks: int = 0
    clamped_ticks: int = 0
    tick_us: np.ndarray | None = None
    receive_us: np.ndarray | None = None

    @property
    def memory_growth_mb(self) -> float:
        """RSS growth from the first sample (after one simulated minute of warm-up)."""
        rss = [s['rss_mb'] for s in self.samples]
        return max(rss) - rss[0] if rss else float('nan')


def run_soak(ticks: int = 216_000, seed: int = 0, sample_every: int = MINUTE) -> SoakResult:
    logging.getLogger('rtr.executor').setLevel(logging.ERROR)
    rng = np.random.default_rng(seed)
    executor = _executor()
    ref = Reference(executor.safety.lower, executor.safety.upper)
    stream = StreamConfig(horizon=H, error=0.005, seed=seed)
    executor.start(ref(np.zeros(1))[0], 0.0)
    tick_us = np.empty(ticks)
    receive_us: list[float] = []
    pending: list[tuple[float, Chunk]] = []
    busy_until, n_sent = -np.inf, 0
    window_err, window_start = [], 0
    result = SoakResult(ticks, 0.0)
    gc.collect()
    wall0 = time.perf_counter()
    for k in range(1, ticks + 1):
        now = k * T + float(rng.uniform(-2e-3, 2e-3))  # the loop wakes a little off
        while pending and pending[0][0] <= now:
            _, chunk = pending.pop(0)
            t0 = time.perf_counter()
            reception = executor.receive(chunk, now)
            receive_us.append((time.perf_counter() - t0) * 1e6)
            result.accepted += reception.accepted
            result.rejected += not reception.accepted
        t0 = time.perf_counter()
        tick = executor.tick(now)
        tick_us[k - 1] = (time.perf_counter() - t0) * 1e6
        result.drift_ticks += tick.tick != k
        result.holding_ticks += tick.mode == MODE_HOLDING
        result.clamped_ticks += bool(tick.clamped)
        window_err.append(float(np.abs(tick.position - ref(np.array([k * T]))[0]).mean()))
        if tick.inference_requested and now >= busy_until:
            n_sent += 1
            stamp = k * T
            positions = ref(stamp + T * np.arange(1, H + 1)) + _error(rng, H, ref.centre.size,
                                                                       stream)
            chunk = Chunk(stamp, stamp + T, T, executor.config.joint_names, positions, n_sent)
            latency = float(rng.uniform(0.1, 0.4))
            pending.append((stamp + latency, chunk))
            busy_until = stamp + latency
        if k % sample_every == 0:
            gc.collect()
            block = tick_us[window_start:k]
            result.samples.append({
                'minute': k / MINUTE, 'rss_mb': rss_mb(), 'gc_objects': len(gc.get_objects()),
                'tick_median_us': float(np.median(block)),
                'tick_p99_us': float(np.percentile(block, 99)), 'tick_max_us': float(block.max()),
                'deviation_mrad': 1e3 * float(np.mean(window_err))})
            window_err, window_start = [], k
    result.wall_s = time.perf_counter() - wall0
    result.tick_us, result.receive_us = tick_us, np.array(receive_us)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ticks', type=int, default=216_000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    r = run_soak(args.ticks, args.seed)
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, python '
          f'{platform.python_version()}, load {os.getloadavg()[0]:.2f}; {r.ticks:,} ticks '
          f'({r.ticks / 60 / 60:.1f} simulated min) in {r.wall_s:.0f} s wall\n')
    first, last = r.samples[0], r.samples[-1]
    print('| quantity | first minute | last minute | whole run |\n|---|---|---|---|')
    print(f'| resident memory (MB) | {first["rss_mb"]:.1f} | {last["rss_mb"]:.1f} | growth '
          f'{r.memory_growth_mb:+.2f} MB (max - first sample) |')
    print(f'| Python objects (gc) | {first["gc_objects"]:,} | {last["gc_objects"]:,} | '
          f'{last["gc_objects"] - first["gc_objects"]:+,} |')
    print(f'| tick median us | {first["tick_median_us"]:.1f} | {last["tick_median_us"]:.1f} | '
          f'{np.median(r.tick_us):.1f} |')
    print(f'| tick p99 us | {first["tick_p99_us"]:.1f} | {last["tick_p99_us"]:.1f} | '
          f'{np.percentile(r.tick_us, 99):.1f} |')
    print(f'| tick max us | {first["tick_max_us"]:.0f} | {last["tick_max_us"]:.0f} | '
          f'{r.tick_us.max():.0f} |')
    print(f'| deviation from the reference (mrad) | {first["deviation_mrad"]:.2f} | '
          f'{last["deviation_mrad"]:.2f} | |')
    print(f'| receive (with refinement) median / p99 us | | | '
          f'{np.median(r.receive_us):.0f} / {np.percentile(r.receive_us, 99):.0f} |')
    print(f'\nTimeline: {r.drift_ticks} of {r.ticks:,} ticks reported a tick other than the '
          f"clock's; chunks accepted {r.accepted:,}, rejected {r.rejected:,}; holding ticks "
          f'{r.holding_ticks:,}; clamped ticks {r.clamped_ticks:,}.')
    ok = r.drift_ticks == 0 and r.memory_growth_mb < 5.0
    return 0 if ok else 1


if __name__ == '__main__':
    raise SystemExit(main())
