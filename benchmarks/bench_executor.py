"""Chunk executor benchmark: seams of every strategy on simulator streams, and timings.

1. References: the scripted expert's joint trajectories of the simulator's ``write`` and
   ``wipe`` tasks (rtr_sim; IK on the task's tip plan, 60 Hz).
2. An action VAE trained on expert episodes with other seeds than the evaluated ones
   (rtr_training's ``train_vae``), unless ``--vae`` is given.
3. Per evaluated episode, a recorded ActionChunk stream (rtr_core.evaluation.chunk_stream):
   H = 48 chunks predicted from observations taken by the async24 trigger (threshold 24),
   positions = expert reference over the chunk's window + a smooth per-chunk prediction
   error (offset, drift along the chunk, slow wobble; scale ``--error`` rad), arriving
   100-400 ms (uniform) after their observation; written as a rosbag2 (mcap) with the
   chunks on /rtr/action_chunk at their arrival times and the reference on /rtr/reference.
4. ``rtr eval chunks`` on every bag, every strategy, twice: with the arm's limits
   (position, velocity, acceleration from rtr_sim's arm spec) as deployed, and with
   the acceleration and per-tick step limits opened up so the seams each strategy
   produces are seen unclamped.
   The ablations are strategies of their own: ``anchor`` (the hand-over anchor alone, no
   VAE) and ``rtr_paper+anchor`` (the seed's RTR with the same anchor).
5. Timings on one torch thread: executor tick (with the 0.3 s JTC window) and rtr's
   refinement of one chunk (the whole receive: splice window, VAE, tail).

Run: ``.venv/bin/python benchmarks/bench_executor.py [--out runs/bench_executor]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
import yaml

STRATEGIES = ('sync', 'naive', 'weighted_average', 'temporal_ensemble', 'crossfade',
              'anchor', 'rtr_paper', 'rtr_paper+anchor', 'rtr')


def expert_references(task: str, seeds) -> tuple[list, object]:
    from rtr_sim.experts import ScriptedExpert
    from rtr_sim.runner import RunnerConfig, SimRunner

    refs = []
    with SimRunner(task, RunnerConfig(render=False)) as runner:
        for seed in seeds:
            runner.reset(seed)
            expert = ScriptedExpert(runner.kinematics, runner.episode, 60.0)
            q = expert.positions
            refs.append((f'{task}_{seed}', np.arange(q.shape[0]) / 60.0, q))
        arm = runner.arm
    return refs, arm


def train_vae_on(refs, names, out: Path, steps: int):
    from rtr_core.vae import VAEConfig
    from rtr_training.data import Trajectory
    from rtr_training.vae import VAETrainingConfig, train_vae

    trajs = [Trajectory(q, 1 / 60, names, name) for name, _, q in refs]
    t0 = time.perf_counter()
    result = train_vae(trajs[:-2], trajs[-2:], out, VAEConfig(per_joint=False),  # the demo's
                       VAETrainingConfig(steps=steps, batch_size=64, lr=3e-3, warmup_steps=50,
                                         eval_every=steps, progress=False, threads=1))
    return result, time.perf_counter() - t0


def executor_yaml(path: Path, arm, open_limits: bool) -> Path:
    safety = {
        'position_lower': arm.lower.tolist(), 'position_upper': arm.upper.tolist(),
        'max_velocity': arm.max_velocity.tolist(),
        'max_acceleration': [1e4] * arm.dof if open_limits else arm.max_acceleration.tolist(),
        'max_jerk': [1e8] * arm.dof if open_limits else arm.max_jerk.tolist(),
        'max_step': 1.0 if open_limits else (arm.max_velocity / 60.0).tolist(),
    }
    path.write_text(yaml.safe_dump({'joint_names': list(arm.joint_names), 'safety': safety}))
    return path


def aggregate(per_episode: list[dict]) -> dict[str, dict[str, float]]:
    keys = {
        'deviation': ('deviation', 'mean'), 'jerk_mean': ('jerk', 'mean'),
        'jerk_p95': ('jerk', 'p95'), 'jerk_max': ('jerk', 'max'),
        'jerk_step_mean': ('jerk_per_step', 'mean'),
        'gap_ratio': ('seam', 'gap_ratio_mean'), 'gap_ratio_p95': ('seam', 'gap_ratio_p95'),
        'gap': ('seam', 'gap_mean'), 'seam_jerk_ratio': ('seam', 'jerk_ratio_mean'),
        'seam_jerk': ('seam', 'jerk_mean'), 'stall': ('stall', 'stall_fraction'),
        'longest_stall': ('stall', 'longest_stall_s'), 'clamped': ('counters', 'clamped_ticks'),
    }
    out = {}
    for strategy in per_episode[0]:
        row = {}
        for key, (a, b) in keys.items():
            row[key] = float(np.nanmean([ep[strategy][a][b] for ep in per_episode]))
        out[strategy] = row
    return out


def table(results: dict[str, dict[str, float]]) -> str:
    naive_dev = results['naive']['deviation']
    lines = ['| strategy | deviation (mrad) | vs naive | jerk mean | jerk p95 | jerk max '
             '(rad/s^3) | seam jerk (rad/s^3) | seam jerk ratio | seam gap (mrad) | '
             'seam gap ratio (p95) | stall | clamped ticks |', '|' + '---|' * 12]
    for name, r in results.items():
        extra = 100 * (r['deviation'] / naive_dev - 1)
        lines.append(
            f'| {name} | {1e3 * r["deviation"]:.2f} | {extra:+.1f}%'
            f' | {r["jerk_mean"]:.1f} | {r["jerk_p95"]:.1f} | {r["jerk_max"]:.0f} | '
            f'{r["seam_jerk"]:.1f} | {r["seam_jerk_ratio"]:.1f} | {1e3 * r["gap"]:.2f} | '
            f'{r["gap_ratio"]:.2f} ({r["gap_ratio_p95"]:.2f}) | {r["stall"]:.3f} | '
            f'{r["clamped"]:.0f} |')
    return '\n'.join(lines)


def time_executor(stream, vae, config) -> dict[str, dict[str, float]]:
    """Per-call times of tick() (naive: no refinement; rtr: splices with anchoring) and of
    rtr's receive() (the refinement), replaying the stream 5 times."""
    import dataclasses

    from rtr_core.executor.executor import ChunkExecutor
    from rtr_core.timeline import tick_of

    out = {}
    for name in ('naive', 'rtr'):
        ticks, receives = [], []
        for _ in range(5):
            ex = ChunkExecutor(dataclasses.replace(config, strategy=name), action_vae=vae)
            chunks = sorted(stream.chunks, key=lambda c: c.arrival)
            end = max(c.chunk.start_time + c.chunk.horizon * c.chunk.dt for c in chunks)
            i = 0
            for k in range(tick_of(chunks[0].arrival, 1 / 60), tick_of(end, 1 / 60)):
                now = k / 60
                while i < len(chunks) and chunks[i].arrival <= now:
                    t0 = time.perf_counter()
                    ex.receive(chunks[i].chunk, chunks[i].arrival)
                    receives.append(time.perf_counter() - t0)
                    i += 1
                t0 = time.perf_counter()
                ex.tick(now)
                ticks.append(time.perf_counter() - t0)
        for label, values in ((f'{name} tick', ticks), (f'{name} receive', receives)):
            v = np.asarray(values) * 1e6
            out[label] = {'n': int(v.size), 'median_us': float(np.median(v)),
                          'p95_us': float(np.percentile(v, 95)),
                          'p99_us': float(np.percentile(v, 99)), 'max_us': float(v.max())}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='runs/bench_executor')
    parser.add_argument('--episodes', type=int, default=3, help='evaluated episodes per task')
    parser.add_argument('--train-episodes', type=int, default=12, help='per task, for the VAE')
    parser.add_argument('--vae', help='use this VAE checkpoint instead of training one')
    parser.add_argument('--vae-steps', type=int, default=1500)
    parser.add_argument('--error', type=float, default=0.01, help='prediction error scale, rad')
    args = parser.parse_args()
    os.environ.setdefault('MUJOCO_GL', 'egl')
    torch.set_num_threads(1)

    from rtr_bringup.cli.main import main as cli

    def rtr(argv):  # per-episode tables stay in the run folder; only the means are printed
        with contextlib.redirect_stdout(io.StringIO()):
            return cli(argv)
    from rtr_core.evaluation.chunk_stream import StreamConfig, predicted_stream, write_stream_bag
    from rtr_core.evaluation.replay import load_stream
    from rtr_core.executor.config import ExecutorConfig
    from rtr_core.vae import ActionVAE

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    evaluated, train = [], []
    for task in ('write', 'wipe'):
        refs, arm = expert_references(task, range(args.episodes))
        evaluated += refs
        train += expert_references(task, range(1000, 1000 + args.train_episodes))[0]
    names = arm.joint_names

    if args.vae:
        vae_path, vae_note = Path(args.vae), f'given checkpoint {args.vae}'
    else:
        vae_path = out / 'vae.pt'
        result, seconds = train_vae_on(train, names, vae_path, args.vae_steps)
        vae_note = (f'trained here: {args.vae_steps} steps, {seconds:.0f} s, on '
                    f'{len(train)} expert episodes (seeds 1000+), validation MAE '
                    f'{1e3 * np.mean(result.report.mae):.2f} mrad')
    print(f'VAE: {vae_note}')

    bags = []
    for i, (name, t, q) in enumerate(evaluated):
        stream = predicted_stream(t, q, names, StreamConfig(latency=(0.1, 0.4),
                                                            error=args.error, seed=i))
        bag = out / 'streams' / name
        if not bag.exists():
            write_stream_bag(bag, stream, t, q, names)
        bags.append(bag)

    summary = {'vae': vae_note, 'episodes': [b.name for b in bags], 'error_rad': args.error}
    for label, open_limits in (('arm_limits', False), ('open_limits', True)):
        config = executor_yaml(out / f'executor_{label}.yaml', arm, open_limits)
        per_episode = []
        for bag in bags:
            eval_dir = out / label / bag.name
            code = rtr(['eval', 'chunks', '--bag', str(bag), '--vae', str(vae_path),
                        '--strategy', *STRATEGIES, '--out', str(eval_dir),
                        '--config', str(config)])
            if code:
                return code
            per_episode.append(json.loads((eval_dir / 'metrics.json').read_text()))
        results = aggregate(per_episode)
        summary[label] = results
        print(f'\n## {label} (mean over {len(bags)} episodes)\n')
        print(table(results))

    vae = ActionVAE.load(vae_path)
    config = ExecutorConfig.from_dict(yaml.safe_load(
        (out / 'executor_arm_limits.yaml').read_text()))
    timings = time_executor(load_stream(bags[0]), vae, config)
    summary['timings'] = timings
    print('\n## timings (one thread)\n')
    print('| call | n | median us | p95 us | p99 us | max us |\n|---|---|---|---|---|---|')
    for label, r in timings.items():
        print(f'| {label} | {r["n"]} | {r["median_us"]:.1f} | {r["p95_us"]:.1f} | '
              f'{r["p99_us"]:.1f} | {r["max_us"]:.1f} |')
    summary['machine'] = f'{platform.node()} {platform.processor()} {os.cpu_count()} cpus, ' \
                         f'load {os.getloadavg()[0]:.2f}'
    (out / 'summary.json').write_text(json.dumps(summary, indent=2))
    print(f'\nmachine: {summary["machine"]}; outputs in {out}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
