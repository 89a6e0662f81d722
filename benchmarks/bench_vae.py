"""Action VAE (issue 3): encode+decode time of one chunk; precision and smoothness on LASA
shapes held out from training, per shape; representation comparison; ablation; every joint
learned on 7-D linear mixes of LASA, one mix or an unseen mix per trajectory (issue 16).

    .venv/bin/python benchmarks/bench_vae.py          # all (about 8 min on 2 busy cores)
    .venv/bin/python benchmarks/bench_vae.py --quick  # timing and our VAE only
    .venv/bin/python benchmarks/bench_vae.py --mixes-only --mix-seeds 3   # joint mixes only
    .venv/bin/python benchmarks/bench_vae.py --mixes-only --mix-architectures 'per joint' --jobs 2

Prints markdown tables for docs/benchmarks.md (``benchmarks/run_all.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rtr_core.evaluation.representation import compare_representations, format_comparison
from rtr_core.metrics import jerk
from rtr_core.vae import ActionVAE, MinMaxNormaliser, VAEConfig
from rtr_training.data import WindowSet, mix_trajectories, split_by_trajectory
from rtr_training.data.lasa import HELD_OUT, TRAINING, lasa_trajectories
from rtr_training.vae import VAETrainingConfig, train_vae


def machine() -> str:
    cpu = platform.processor() or 'unknown CPU'
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    date = subprocess.run(['date'], capture_output=True, text=True).stdout.strip()
    load = ', '.join(f'{v:.2f}' for v in os.getloadavg())
    return (f'{date}; nproc {os.cpu_count()}; {cpu}; load average at start {load}; '
            f'torch {torch.__version__}')


def timing(calls: int = 2000) -> str:
    """Single-chunk calls on one thread; timing does not depend on the weights' values."""
    torch.set_num_threads(1)
    rows = ['| call (one thread) | median ms | p95 ms | p99 ms |', '|---|---|---|---|']
    for name, cfg in (('mixed conv (the demo\'s), (48, 7)',
                       VAEConfig(action_dim=7, per_joint=False)),
                      ('seed MLP decoder, (48, 7)',
                       VAEConfig(action_dim=7, decoder='mlp', per_joint=False)),
                      ('per joint, hidden 32, (48, 7)',
                       VAEConfig(action_dim=7, per_joint=True, latent_channels=1,
                                 hidden_channels=32))):
        vae = ActionVAE(cfg, MinMaxNormaliser(-np.ones(7), np.ones(7)))
        x = np.random.default_rng(0).uniform(-1, 1, (48, 7))
        z = vae.encode(x)
        calls_by_name = {
            'encode': lambda vae=vae, x=x: vae.encode(x),
            'decode': lambda vae=vae, z=z: vae.decode(z),
            'decode(encode(x))': lambda vae=vae, x=x: vae.decode(vae.encode(x)),
            'reconstruct(x)': lambda vae=vae, x=x: vae.reconstruct(x),
        }
        for call, fn in calls_by_name.items():
            for _ in range(50):
                fn()
            ts = []
            for _ in range(calls):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
            ms = np.array(ts) * 1e3
            rows.append(f'| {name}: {call} | {np.median(ms):.3f} | '
                        f'{np.percentile(ms, 95):.3f} | {np.percentile(ms, 99):.3f} |')
    return '\n'.join(rows)


def per_shape(vae: ActionVAE) -> tuple[str, float]:
    """Reconstruction of every stride-1 window of the 7 demos of each held-out shape."""
    rows = ['| held-out shape | windows | error median (mm) | mean | p95 | input jerk (m/s^3) | '
            'recon jerk | ratio |', '|---|---|---|---|---|---|---|---|']
    all_err, all_ji, all_jr = [], [], []
    for shape in HELD_OUT:
        w = WindowSet(lasa_trajectories((shape,)), vae.horizon).windows()
        r = vae.reconstruct(w)
        err = np.linalg.norm(r - w, axis=-1).reshape(-1) * 1e3
        ji = np.linalg.norm(jerk(w, vae.dt), axis=-1).mean()
        jr = np.linalg.norm(jerk(r, vae.dt), axis=-1).mean()
        all_err.append(err)
        all_ji.append(ji * len(w))
        all_jr.append(jr * len(w))
        rows.append(f'| {shape} | {len(w)} | {np.median(err):.3f} | {err.mean():.3f} | '
                    f'{np.percentile(err, 95):.3f} | {ji:.3f} | {jr:.3f} | {jr / ji:.2f} |')
    err = np.concatenate(all_err)
    ratio = sum(all_jr) / sum(all_ji)
    rows.append(f'| **all held-out** | {sum(len(e) for e in all_err) // vae.horizon} | '
                f'**{np.median(err):.3f}** | {err.mean():.3f} | {np.percentile(err, 95):.3f} '
                f'| | | **{ratio:.2f}** |')
    return '\n'.join(rows), float(np.median(err))


def train(out: Path, vae_config: VAEConfig, config: VAETrainingConfig):
    trajectories = lasa_trajectories(TRAINING)
    tr, va = split_by_trajectory(trajectories, config.val_fraction, config.seed)
    return train_vae(tr, va, out, vae_config, config)


#: The architectures compared on joint mixes: (VAE config, training config changes).
MIX_ARCHITECTURES = {
    'mixed (all joints through one network, latent 12 x 8)': (
        VAEConfig(per_joint=False), {}),
    'per joint (shared 1-D network, 1 latent channel per joint: 12 x 7)': (
        VAEConfig(per_joint=True, latent_channels=1, hidden_channels=32), {}),
}


MIX_DATA = {False: 'one mix (one robot)', True: 'a mix per trajectory, unseen ones validate'}


def _mix_run(arch: str, per_trajectory: bool, seed: int, steps: int, batch: int,
             lr: float) -> tuple[float, bool, float, tuple[float, ...]]:
    """One training on mixed LASA: (worst baseline ratio, learned, seconds, ratios)."""
    torch.set_num_threads(1)
    vae_config, changes = MIX_ARCHITECTURES[arch]
    trajs = mix_trajectories(lasa_trajectories(TRAINING), 7, per_trajectory=per_trajectory,
                             seed=seed)
    config = VAETrainingConfig(steps=steps, batch_size=batch, lr=lr, seed=seed,
                               eval_every=steps, progress=False, **changes)
    tr, va = split_by_trajectory(trajs, config.val_fraction, seed)
    with tempfile.TemporaryDirectory() as tmp:
        result = train_vae(tr, va, Path(tmp) / 'mix.pt', vae_config, config)
    r = result.report
    return max(r.baseline_ratio), r.learned, result.seconds, r.baseline_ratio


def joint_mixes(seeds: int, steps: int, batch: int, lr: float, jobs: int = 1,
                architectures: tuple[str, ...] | None = None) -> str:
    """Train on 7-D linear mixes of the 24 training shapes (rtr_training.data.mixes), split
    by trajectory with the seed, and report each dimension's validation error against the
    window-mean baseline: the worst dimension's ratio and how many seeds learned all 7.
    ``jobs`` trainings run at once (one torch thread each); ``architectures``: the names of
    MIX_ARCHITECTURES to train (by the words before the parenthesis; default all)."""
    import concurrent.futures

    chosen = [a for a in MIX_ARCHITECTURES
              if architectures is None or a.split(' (')[0] in architectures]
    runs = [(arch, per, seed) for arch in chosen for per in MIX_DATA
            for seed in range(seeds)]
    with concurrent.futures.ProcessPoolExecutor(jobs) as pool:
        futures = [pool.submit(_mix_run, *run, steps, batch, lr) for run in runs]
        results = dict(zip(runs, (f.result() for f in futures), strict=True))
    rows = ['| architecture | data | seeds with every joint < 0.2x baseline | worst joint\'s '
            'error / baseline, per seed | train s per run |', '|---|---|---|---|---|']
    for arch in chosen:
        for per, data_name in MIX_DATA.items():
            mine = [results[(arch, per, seed)] for seed in range(seeds)]
            rows.append(f'| {arch} | {data_name} | {sum(m[1] for m in mine)} of {seeds} | '
                        f'{", ".join(f"{m[0]:.3g}" for m in mine)} | '
                        f'{np.median([m[2] for m in mine]):.0f} |')
    for (arch, per, seed), (_, _, _, ratios) in results.items():
        rows.append(f'<!-- {arch.split(" (")[0]} | {MIX_DATA[per]} | seed {seed}: per-joint '
                    f'ratios {", ".join(f"{r:.3f}" for r in ratios)} -->')
    return '\n'.join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=VAETrainingConfig().steps)
    parser.add_argument('--quick', action='store_true',
                        help='skip the ablation variants (each trained as long as ours)')
    parser.add_argument('--out', type=Path, help='keep the trained checkpoint here')
    parser.add_argument('--mix-seeds', type=int, default=10,
                        help='seeds (data mixes, splits and weights) per architecture and data')
    parser.add_argument('--mix-steps', type=int, default=1500)
    parser.add_argument('--mix-batch', type=int, default=64)
    parser.add_argument('--mix-lr', type=float, default=2e-3)
    parser.add_argument('--jobs', type=int, default=1, help='joint-mix trainings at once')
    parser.add_argument('--mixes-only', action='store_true', help='only the joint-mix table')
    names = [a.split(' (')[0] for a in MIX_ARCHITECTURES]
    parser.add_argument('--mix-architectures', nargs='+', choices=names, default=names,
                        help='architectures of the joint-mix table')
    parser.add_argument('--per-joint-only', action='store_true',
                        help='of the LASA variants, train only the per-joint one')
    args = parser.parse_args()
    print(f'machine: {machine()}\n')
    if args.mix_seeds:
        print(f'### Every joint learned? 7-D linear mixes of the 24 LASA training shapes '
              f'({args.mix_steps} steps of batch {args.mix_batch}, lr {args.mix_lr:g}, one '
              f'torch thread; validation = 15 % of the trajectories, split by the seed)\n')
        print(joint_mixes(args.mix_seeds, args.mix_steps, args.mix_batch, args.mix_lr,
                          args.jobs, tuple(args.mix_architectures)), '\n')
    per_joint = ('per joint: shared 1-D conv network, 1 latent channel per joint (12 x 2), '
                 'hidden 32, L1 + jerk term',
                 (VAEConfig(per_joint=True, latent_channels=1, hidden_channels=32),
                  VAETrainingConfig()))
    if args.mixes_only:
        return
    if not args.per_joint_only:
        print('Encode and decode of one (48, 7) chunk, one torch thread, 2,000 calls '
              '(untrained weights: the cost does not depend on their values):\n')
        print(timing(), '\n')
    # the mixed network (the default until per_joint, and the demo's): the numbers in
    # docs/benchmarks.md were measured with it
    mixed = VAEConfig(per_joint=False)
    variants = {'ours: conv decoder, L1 + jerk term': (mixed, VAETrainingConfig())}
    if args.per_joint_only:
        variants = {}
    if not args.quick:
        variants[per_joint[0]] = per_joint[1]
        variants['conv decoder, no jerk term'] = (mixed, VAETrainingConfig(jerk_weight=0))
        variants["our encoder + the seed's MLP decoder, latent 12 x 10, no jerk term"] = (
            VAEConfig(decoder='mlp', latent_channels=10, per_joint=False),
            VAETrainingConfig(jerk_weight=0))
    summary = ['| variant | train s | held-out error median (mm) | mean | p95 | '
               'jerk / input |', '|---|---|---|---|---|---|']
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, (vae_config, config)) in enumerate(variants.items()):
            config = dataclasses.replace(config, steps=args.steps, progress=False)
            out = args.out if (i == 0 and args.out) else Path(tmp) / f'vae{i}.pt'
            result = train(out, vae_config, config)
            shapes, median = per_shape(result.vae)
            held_out = [t.positions for t in lasa_trajectories(HELD_OUT)]
            reps = compare_representations(result.vae, held_out)
            vae_row = reps[0]
            summary.append(f'| {name} | {result.seconds:.0f} | {vae_row.error_median * 1e3:.3f} '
                           f'| {vae_row.error_mean * 1e3:.3f} | {vae_row.error_p95 * 1e3:.3f} | '
                           f'{vae_row.jerk_ratio:.2f} |')
            print(f'### [{i}] {name}\n\nTrained {config.steps} steps of batch '
                  f'{config.batch_size} on 24 LASA shapes in {result.seconds:.0f} s (one torch '
                  f'thread); VAE hash {result.vae.hash}. Validation split of the training '
                  f'shapes (metres):\n\n```\n{result.report.table()}\n```\n')
            print(shapes, '\n')
            print('Representation comparison on the held-out shapes (chunks of 48 at 60 Hz, '
                  'consecutive windows):\n')
            print(format_comparison(reps), '\n')
    print(f'### Ablation (same data, {args.steps} steps each; metrics on the held-out shapes, '
          f'consecutive chunks)\n')
    print('\n'.join(summary))


if __name__ == '__main__':
    main()
