"""Latent diffusion policy vs action-space baselines: training time, open-loop quality on
held-out demonstrations, inference latency.

With no arguments (as ``run_all.py`` calls it) the whole pipeline runs in ``--out``
(default ``runs/bench_policy``), reusing what is already there:

1. ``rtr sim record``: 50 ``write`` + 50 ``wipe`` demonstrations for training and 5 + 5
   held out (another seed).
2. ``rtr train vae`` (defaults) on the training demonstrations.
3. ``rtr train policy`` with ``rtr_training/config/policy_demo.yaml`` for
   ``latent_diffusion``, ``action_diffusion`` at 60 Hz and at 15 Hz; wall and CPU time.
4. ``openloop``: every held-out episode, a chunk is predicted from the recorded observation
   every ``--every`` ticks and compared with the demonstrated actions over the chunk's
   times: deviation (mean |p - g|, rad) and jerk (rad/s^3, of each chunk on its own; seams
   are the executor's business), the 15 Hz network also upsampled linearly and cubically.
5. ``inference``: observation -> decoded chunk at batch 1 (``Policy.predict``: observation
   encoder, 10 DDIM steps, VAE decode) at 1 and 2 torch threads, plain and with RTC, and
   per observation at batch 16, all at the same U-Net width.

Subcommands run one part: ``scaling`` (the U-Net alone on the latent vs the 60 Hz
sequence at several widths, batch-1 inference vs training step), ``inference
[--checkpoints ...]`` (fresh weights of the same shapes when none are given: the cost does
not depend on them) and ``openloop --data HELD_OUT --checkpoints ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rtr_core.metrics import jerk_stats
from rtr_core.policy import Observation, ObservationContract, Policy, PolicyConfig, RTCContext
from rtr_core.vae import ActionVAE, MinMaxNormaliser, VAEConfig
from rtr_training.dataset import PolicyDataset


def _label(policy: Policy) -> str:
    c = policy.config
    if c.name == 'latent_diffusion':
        return 'latent_diffusion 60 Hz'
    rate = f'{c.action_rate_hz:g} Hz'
    return f'action_diffusion {rate}' + ('' if c.interpolation == 'none'
                                         else f' + {c.interpolation} -> 60 Hz')


def _fresh_policies(down_dims) -> list[Policy]:
    joints = 7
    contract = ObservationContract().with_joint_names([f'joint_{i + 1}' for i in range(joints)])
    unit = MinMaxNormaliser(-np.ones(joints), np.ones(joints))
    vae = ActionVAE(VAEConfig(action_dim=joints, per_joint=False), unit)  # 12 x 8, the demo's
    norms = {'action': unit, 'native': MinMaxNormaliser(-np.ones(8), np.ones(8)),
             'joint_positions': unit, 'wrench': MinMaxNormaliser(-np.ones(6), np.ones(6))}
    configs = [PolicyConfig(down_dims=down_dims),
               PolicyConfig(name='action_diffusion', down_dims=down_dims),
               PolicyConfig(name='action_diffusion', action_rate_hz=15.0, down_dims=down_dims),
               PolicyConfig(name='action_diffusion', action_rate_hz=15.0,
                            interpolation='cubic', down_dims=down_dims)]
    return [Policy(c, contract, norms, vae) for c in configs]


def _observation(policy: Policy, rng) -> Observation:
    c = policy.contract
    return Observation(
        stamp=100.0, joint_positions=rng.uniform(-1, 1, len(policy.joint_names)),
        image=rng.integers(0, 255, (c.image.height, c.image.width, 3), dtype=np.uint8)
        if c.image else None, wrench=rng.normal(size=6) if c.wrench else None)


def _time(fn, repeats: int) -> np.ndarray:
    for _ in range(3):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return np.asarray(out) * 1e3


def inference(args) -> None:
    policies = (_load(args.checkpoints) if args.checkpoints
                else _fresh_policies(tuple(args.down_dims)))
    rng = np.random.default_rng(0)
    print(f'machine: {platform.node()} {platform.processor() or platform.machine()}, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; torch '
          f'{torch.__version__}; repeats {args.repeats}')
    print('| policy | U-Net width | params | sequence | DDIM steps | threads | median ms | '
          'p90 ms | RTC median ms | batch 16: ms per observation |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    rows = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for policy in policies:
            obs = _observation(policy, rng)
            dt = policy.output_dt
            first = policy.predict(obs, seed=0)
            rtc = RTCContext(first.positions[:24] + 0.01, inference_delay=max(1, round(
                0.1 / dt)))
            plain = _time(lambda p=policy, o=obs: p.predict(o), args.repeats)
            guided = _time(lambda p=policy, o=obs, r=rtc: p.predict(o, rtc=r),
                           max(5, args.repeats // 3))
            batch = [_observation(policy, rng) for _ in range(16)]
            batched = _time(lambda p=policy, b=batch: p.predict_positions(b),
                            max(3, args.repeats // 5)) / len(batch)
            params = sum(x.numel() for x in policy.model.parameters()) / 1e6
            seq = 'x'.join(map(str, policy.representation.native_shape))
            rows[(threads, _label(policy))] = (float(np.median(plain)),
                                               float(np.median(batched)))
            print(f'| {_label(policy)} | {list(policy.config.down_dims)} | {params:.2f} M | '
                  f'{seq} | {policy.config.num_inference_steps} | {threads} | '
                  f'{np.median(plain):.1f} | {np.percentile(plain, 90):.1f} | '
                  f'{np.median(guided):.1f} | {np.median(batched):.1f} |')
    for threads in (1, 2):
        latent = rows.get((threads, 'latent_diffusion 60 Hz'))
        action = rows.get((threads, 'action_diffusion 60 Hz'))
        if latent and action:
            print(f'\n{threads} thread(s), action_diffusion 60 Hz / latent_diffusion: batch 1 '
                  f'{action[0] / latent[0]:.2f}x, batch 16 {action[1] / latent[1]:.2f}x')


def scaling(args) -> None:
    """Where the latent's 4x shorter sequence pays: one U-Net pass (the denoiser alone) on the
    12x8 latent vs the 48x7 60 Hz actions, at several widths, for a batch-1 inference step
    and for a training step (forward + backward at the training batch)."""
    from rtr_core.policy.networks import ConditionalUnet1D

    torch.set_num_threads(args.threads)
    print(f'machine: {platform.node()} {platform.processor() or platform.machine()}, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; torch '
          f'{torch.__version__}; {args.threads} thread(s); median of {args.repeats}')
    print('| U-Net width | params | batch-1 pass 12x8 ms | batch-1 pass 48x7 ms | ratio | '
          f'training step (batch {args.batch}) 12x8 ms | 48x7 ms | ratio |')
    print('|---|---|---|---|---|---|---|---|')
    cond_dim = 96
    for dims in args.widths:
        dims = tuple(int(v) for v in dims.split(','))
        infer, train = [], []
        for steps, channels in ((12, 8), (48, 7)):
            net = ConditionalUnet1D(channels, cond_dim, dims)
            x, c = torch.randn(1, steps, channels), torch.randn(1, cond_dim)
            t = torch.tensor([5])
            net.eval()
            with torch.inference_mode():
                infer.append(np.median(_time(lambda n=net, x=x, c=c, t=t: n(x, t, c),
                                             args.repeats)))
            net.train()
            xb, cb = torch.randn(args.batch, steps, channels), torch.randn(args.batch, cond_dim)
            tb = torch.randint(0, 100, (args.batch,))

            def step(n=net, x=xb, c=cb, t=tb):
                n.zero_grad(set_to_none=True)
                n(x, t, c).square().mean().backward()

            train.append(np.median(_time(step, max(5, args.repeats // 10))))
        params = sum(p.numel() for p in net.parameters()) / 1e6
        print(f'| {list(dims)} | {params:.2f} M | {infer[0]:.2f} | {infer[1]:.2f} | '
              f'{infer[1] / infer[0]:.2f}x | {train[0]:.1f} | {train[1]:.1f} | '
              f'{train[1] / train[0]:.2f}x |')


def _with_interpolation(policy: Policy, method: str) -> Policy:
    """The same trained low-rate network, upsampled to the control rate by ``method``."""
    config = dataclasses.replace(policy.config, interpolation=method)
    variant = Policy(config, policy.contract, policy.normalisers, policy.vae)
    variant.load_weights(policy.model.state_dict())
    return variant


def _load(paths) -> list[Policy]:
    """Checkpoints; a low-rate one also gives its linear and cubic upsampled variants."""
    out = []
    for path in paths:
        policy = Policy.load(path)
        out.append(policy)
        if policy.representation.factor > 1 and policy.config.interpolation == 'none':
            out += [_with_interpolation(policy, m) for m in ('linear', 'cubic')]
    return out


def openloop(args) -> None:
    torch.set_num_threads(args.threads)
    policies = _load(args.checkpoints)
    contract = policies[0].contract
    horizon = max(p.config.horizon for p in policies)
    dataset = PolicyDataset.from_bags(args.data, contract, horizon, cache_dir=args.cache)
    dt = contract.control_dt
    picks = np.flatnonzero((dataset.tick_rows - np.concatenate(
        [[0], np.cumsum([e.length for e in dataset.episodes])[:-1]])[dataset.episode_of])
        % args.every == 0)
    truth = dataset.windows(picks)
    print(f'{len(dataset.episodes)} held-out episodes, {len(picks)} chunks (one every '
          f'{args.every} ticks), load average {os.getloadavg()[0]:.1f}')
    print('| policy | deviation mean rad | deviation p95 rad | jerk mean rad/s^3 | '
          'jerk p95 rad/s^3 | jerk vs demonstrations |')
    print('|---|---|---|---|---|---|')
    demo = [jerk_stats(w, dt) for w in truth]
    demo_mean = float(np.mean([j['mean'] for j in demo]))
    print(f'| demonstrations | 0 | 0 | {demo_mean:.1f} | '
          f'{np.mean([j["p95"] for j in demo]):.1f} | 1.00 |')
    results = {}
    for policy in policies:
        positions = []
        for i in range(0, len(picks), args.batch):
            obs = [dataset.observation(int(k)) for k in picks[i:i + args.batch]]
            positions.append(policy.predict_positions(obs, seed=args.seed + i))
        positions = np.concatenate(positions)
        step = round(policy.output_dt / dt)
        gt = truth[:, ::step][:, :positions.shape[1]]
        dev = np.abs(positions - gt).mean(axis=(1, 2))
        jerks = [jerk_stats(p, policy.output_dt) for p in positions]
        jm = float(np.mean([j['mean'] for j in jerks]))
        results[_label(policy)] = (float(dev.mean()), jm)
        print(f'| {_label(policy)} | {dev.mean():.4f} | {np.percentile(dev, 95):.4f} | '
              f'{jm:.1f} | {np.mean([j["p95"] for j in jerks]):.1f} | '
              f'{jm / demo_mean:.2f} |')
    latent = results.get('latent_diffusion 60 Hz')
    action = results.get('action_diffusion 60 Hz')
    if latent and action:
        print(f'\nlatent vs action-space 60 Hz: jerk {action[1] / latent[1]:.2f}x lower, '
              f'deviation {latent[0] / action[0]:.2f}x of the action-space one')


def _timed(argv: list[str]) -> tuple[float, float]:
    """Run an ``rtr`` command in this process: (wall seconds, CPU seconds)."""
    from rtr_bringup.cli.main import main as rtr

    wall, cpu = time.perf_counter(), time.process_time()
    if rtr(argv) != 0:
        raise SystemExit(f'rtr {" ".join(argv)} failed')
    return time.perf_counter() - wall, time.process_time() - cpu


def pipeline(args) -> None:
    os.environ.setdefault('MUJOCO_GL', 'egl')
    out = Path(args.out)
    demo = Path(__file__).parents[1] / 'rtr_training' / 'config' / 'policy_demo.yaml'
    for split, seed, episodes in (('train', 0, 50), ('heldout', 1, 5)):
        for task in ('write', 'wipe'):
            _timed(['sim', 'record', '--task', task, '--episodes', str(episodes), '--seed',
                    str(seed), '--out', str(out / split / task), '--workers', '1'])
    cache = ['--cache', str(out / 'cache')]
    rows = []
    if not (out / 'vae.pt').is_file():
        bags = sorted(str(b) for b in (out / 'train').glob('*/*') if b.is_dir())
        rows.append(('rtr train vae (defaults)',
                     *_timed(['train', 'vae', '--data', *bags, '--out', str(out / 'vae.pt'),
                              '--no-progress'])))
    data = ['--data', str(out / 'train' / 'write'), str(out / 'train' / 'wipe')]
    runs = {'latent.pt': ['--policy', 'latent_diffusion', '--vae', str(out / 'vae.pt')],
            'action60.pt': ['--policy', 'action_diffusion'],
            'action15.pt': ['--policy', 'action_diffusion', '--rate', '15']}
    for name, opts in runs.items():
        if not (out / name).is_file():
            rows.append((f'rtr train policy {" ".join(opts[:2])} {" ".join(opts[2:4])}',
                         *_timed(['train', 'policy', *data, *opts, '--config', str(demo),
                                  '--threads', '2', '--out', str(out / name), '--no-progress',
                                  *cache])))
    if rows:
        print(f'Training on 50 write + 50 wipe demonstrations, {demo.name}, 2 torch threads, '
              f'load average {os.getloadavg()[0]:.1f} at the end:\n')
        print('| step | wall s | CPU s |')
        print('|---|---|---|')
        for label, wall, cpu in rows:
            print(f'| {label} | {wall:.0f} | {cpu:.0f} |')
        print()
    checkpoints = [str(out / n) for n in runs]
    openloop(argparse.Namespace(
        data=[str(out / 'heldout' / 'write'), str(out / 'heldout' / 'wipe')],
        checkpoints=checkpoints, every=24, batch=64, threads=1, seed=0, cache=out / 'cache'))
    print()
    inference(argparse.Namespace(checkpoints=checkpoints, repeats=30, down_dims=None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='runs/bench_policy', help='pipeline folder')
    parser.set_defaults(func=pipeline)
    sub = parser.add_subparsers(dest='what')
    p = sub.add_parser('inference')
    p.add_argument('--checkpoints', nargs='*')
    p.add_argument('--down-dims', type=int, nargs='+', default=list(PolicyConfig().down_dims))
    p.add_argument('--repeats', type=int, default=30)
    p.set_defaults(func=inference)
    p = sub.add_parser('scaling', help='U-Net pass on 12x8 vs 48x7 at several widths')
    p.add_argument('--widths', nargs='+', default=['32,64', '32,64,128', '64,128,256',
                                                     '128,256,512'])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch', type=int, default=64, help='training batch')
    p.add_argument('--repeats', type=int, default=100)
    p.set_defaults(func=scaling)
    p = sub.add_parser('openloop')
    p.add_argument('--data', nargs='+', required=True, help='held-out bags or folders')
    p.add_argument('--checkpoints', nargs='+', required=True)
    p.add_argument('--every', type=int, default=24, help='ticks between predicted chunks')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cache', type=Path, help='dataset cache folder')
    p.set_defaults(func=openloop)
    args = parser.parse_args()
    args.func(args)


if __name__ == '__main__':
    main()
