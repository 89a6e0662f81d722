"""``rtr train vae --data PATH... --out CKPT``: train the action VAE; ``rtr train policy
--data PATH... --out CKPT``: train a diffusion policy. Both read rosbag2 recordings and LeRobot
dataset folders (the VAE also ``.npz`` files).

Every field of ``VAEConfig`` and ``VAETrainingConfig`` is an option (``--hidden-channels``,
``--steps``...) with the dataclass default, so the two stay the single source of truth.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing

#: Config fields the command sets another way (from the data, from ``--rate``, a flag).
_DERIVED = {'action_dim', 'dt', 'progress'}


def _option_type(cls, f: dataclasses.Field) -> type:
    """What an option of field ``f`` parses to: its default's type, else the type its
    annotation allows besides None (``int | None = None``: int)."""
    if f.default is not None:
        return type(f.default)
    hint = typing.get_type_hints(cls)[f.name]
    kinds = [a for a in typing.get_args(hint) if a is not type(None)]
    return kinds[0] if len(kinds) == 1 else str


def _add_dataclass_options(parser: argparse.ArgumentParser, cls, title: str) -> None:
    group = parser.add_argument_group(title)
    for f in dataclasses.fields(cls):
        if f.name in _DERIVED:
            continue
        kind = _option_type(cls, f)
        if kind is bool:  # --per-joint / --no-per-joint (type=bool would take any text as True)
            group.add_argument(f'--{f.name.replace("_", "-")}', dest=f.name,
                               action=argparse.BooleanOptionalAction, default=f.default,
                               help=f'{cls.__name__}.{f.name}')
            continue
        note = ' (None: set from the other fields, see the class)' if f.default is None else ''
        group.add_argument(f'--{f.name.replace("_", "-")}', dest=f.name, type=kind,
                           default=f.default, metavar=kind.__name__.upper(),
                           help=f'{cls.__name__}.{f.name}{note}')


def _from_args(cls, args: argparse.Namespace, **fixed):
    names = {f.name for f in dataclasses.fields(cls)} - _DERIVED
    return cls(**{n: getattr(args, n) for n in names}, **fixed)


def _add_vae(train_sub) -> None:
    from rtr_core.vae import VAEConfig
    from rtr_training.vae import VAETrainingConfig

    p = train_sub.add_parser('vae', help='train the action VAE on bags or .npz files',
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--data', nargs='+', required=True, metavar='PATH',
                   help='rosbag2 folders, .npz files (one (T, D) array per trajectory plus dt) '
                   'and/or LeRobot dataset folders (docs/sources/lerobot.md)')
    p.add_argument('--out', required=True, metavar='CKPT', help='VAE checkpoint to write')
    p.add_argument('--topic', help='action topic in the bags (JointTrajectory, '
                   'Float64MultiArray or JointState; default: the only such topic) or '
                   'feature of LeRobot datasets (default: action)')
    p.add_argument('--joints', nargs='+', help='column order by joint name (default: as in '
                   'the first message)')
    p.add_argument('--rate', type=float, default=60.0, help='action rate in Hz; data at '
                   'another rate is resampled')
    p.add_argument('--resample', choices=('cubic', 'linear'), default='cubic')
    p.add_argument('--resume', action='store_true', help='continue from <CKPT stem>.state.pt')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    _add_dataclass_options(p, VAEConfig, 'model')
    _add_dataclass_options(p, VAETrainingConfig, 'training')
    p.set_defaults(func=run_vae)


def add_parser(sub) -> None:
    parser = sub.add_parser('train', help='train the action VAE (and policies)')
    train_sub = parser.add_subparsers(dest='train_command', metavar='WHAT', required=True)
    _add_vae(train_sub)
    _add_policy(train_sub)


def run_vae(args) -> int:
    from rtr_core.vae import VAEConfig
    from rtr_training.vae import VAETrainingConfig, train_vae_from_paths

    vae_config = _from_args(VAEConfig, args, action_dim=1, dt=1.0 / args.rate)
    config = _from_args(VAETrainingConfig, args, progress=not args.no_progress)
    result = train_vae_from_paths(args.data, args.out, vae_config, config, topic=args.topic,
                                  joints=args.joints, resample=args.resample,
                                  resume=args.resume)
    print(f'wrote {result.checkpoint} (hash {result.vae.hash}), {result.state}, '
          f'{result.loss_curve}, {result.report_path}')
    print(f'{result.steps} steps, {result.seconds:.1f} s of training; validation report '
          f'(data units):')
    print(result.report.table())
    if result.report.learned:
        return 0
    hint = ('train longer (--resume --steps N)' if result.vae.config.per_joint else
            'if the joints move together differently from trajectory to trajectory (several '
            'tasks or arms pooled), train without --no-per-joint (the per-joint network, '
            'docs/vae.md); otherwise train longer (--resume --steps N)')
    print(f'rtr: error: the VAE did not learn {", ".join(result.report.unlearned)} (validation '
          f'error not below {result.report.max_baseline_ratio:g}x that of predicting each '
          f'window by its mean; see the table). Its checkpoint is {result.checkpoint}, for '
          f'inspection only; nothing was written to {args.out}. To fix: {hint}.',
          file=sys.stderr)
    return 1


def _add_policy(train_sub) -> None:
    from rtr_training.data.lerobot import LeRobotMapping  # (no torch: a quick --help)

    p = train_sub.add_parser(
        'policy', help='train a diffusion policy (latent or action space) on bags or LeRobot '
        'datasets',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description='Multi-GPU / multi-node: run the same command under "torchrun '
        '--nproc_per_node=N -m rtr_bringup.cli.main train policy ..." or "accelerate launch '
        '-m rtr_bringup.cli.main train policy ..."; rank 0 writes the files.')
    p.add_argument('--data', nargs='+', required=True, metavar='PATH',
                   help='rosbag2 folders, folders of them (rtr sim record --out) and/or '
                   'LeRobot dataset folders (docs/sources/lerobot.md)')
    p.add_argument('--out', required=True, metavar='CKPT', help='policy checkpoint to write')
    p.add_argument('--policy', default='latent_diffusion',
                   choices=('latent_diffusion', 'action_diffusion'))
    p.add_argument('--vae', metavar='CKPT', help='action VAE checkpoint (latent_diffusion)')
    p.add_argument('--rate', type=float, help='action_diffusion: rate of the predicted '
                   'actions in Hz (default: the control rate; 15 for the stop-and-go baseline)')
    p.add_argument('--interpolation', choices=('none', 'linear', 'cubic'),
                   help='action_diffusion below the control rate: upsample to it')
    p.add_argument('--contract', metavar='YAML', help='observation contract (topics and '
                   'inputs); default: rtr_training/config/observation_contract.yaml values, '
                   'with LeRobot data only the inputs its features feed')
    p.add_argument('--config', metavar='YAML', help='TrainPolicyConfig fields that differ '
                   'from the defaults (with a policy: section for PolicyConfig)')
    p.add_argument('--steps', type=int, help='optimizer steps (overrides --config)')
    p.add_argument('--threads', type=int, help='torch threads (overrides --config)')
    p.add_argument('--cache', metavar='DIR', help='dataset cache (default: $RTR_CACHE_DIR or '
                   '~/.cache/rtr, then policy_dataset)')
    p.add_argument('--resume', action='store_true', help='continue from <CKPT stem>.state.pt')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    lerobot = p.add_argument_group('LeRobot datasets: which feature feeds which input '
                                   '("none" switches an input off)')
    default = LeRobotMapping()
    lerobot.add_argument('--action-feature', default=default.action, metavar='FEATURE',
                         help='absolute joint positions the policy learns to predict')
    lerobot.add_argument('--state-feature', default=default.joint_positions, metavar='FEATURE',
                         help='joint positions (used when the dataset has it)')
    lerobot.add_argument('--image-feature', metavar='FEATURE', help='camera feature stored '
                         'as images (dtype image); default: the only camera feature')
    lerobot.add_argument('--wrench-feature', default=default.wrench, metavar='FEATURE',
                         help='force/torque (6 values)')
    lerobot.add_argument('--resample', choices=('cubic', 'linear'), default=default.resample,
                         help='vectors at the dataset fps to the control rate')
    p.set_defaults(func=run_policy)


def run_policy(args) -> int:
    from rtr_core.config import load_yaml
    from rtr_core.policy import ObservationContract
    from rtr_training.data.lerobot import LeRobotMapping
    from rtr_training.policy import TrainPolicyConfig, train_policy

    config = load_yaml(TrainPolicyConfig, args.config) if args.config else TrainPolicyConfig()
    policy = {'name': args.policy}
    if args.rate is not None:
        policy['action_rate_hz'] = args.rate
    if args.interpolation is not None:
        policy['interpolation'] = args.interpolation
    overrides = {k: getattr(args, k) for k in ('steps', 'threads') if getattr(args, k)}
    config = dataclasses.replace(config, policy=dataclasses.replace(config.policy, **policy),
                                 **overrides)
    contract = ObservationContract.load(args.contract) if args.contract else None
    lerobot = LeRobotMapping(action=args.action_feature, joint_positions=args.state_feature,
                             image=args.image_feature, wrench=args.wrench_feature,
                             resample=args.resample)
    train_policy(args.data, args.out, config, contract, vae_path=args.vae,
                 cache_dir=args.cache, resume=args.resume, progress=not args.no_progress,
                 lerobot=lerobot)
    return 0
