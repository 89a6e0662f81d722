"""``rtr eval chunks``: replay a recorded ActionChunk stream through boundary strategies.

Shows on a user's own recording what each strategy (RTR included) would have commanded:
a metrics table (markdown + JSON), plots and ``executed_<strategy>.npz`` per strategy.
"""

from __future__ import annotations


def add_parser(sub) -> None:
    parser = sub.add_parser('eval', help='offline evaluation of recorded runs')
    eval_sub = parser.add_subparsers(dest='eval_command', metavar='EVAL_COMMAND', required=True)
    chunks = eval_sub.add_parser(
        'chunks', help='replay a recorded ActionChunk stream through boundary strategies')
    chunks.add_argument('--bag', required=True, help='rosbag2 with rtr_msgs/ActionChunk')
    chunks.add_argument('--vae', help='action VAE checkpoint (needed by rtr_paper; rtr refines '
                        'with it, else only anchors)')
    chunks.add_argument('--strategy', nargs='+', required=True, metavar='NAME',
                        help='sync, naive, weighted_average, temporal_ensemble, crossfade, '
                        'anchor (the hand-over anchor alone, no VAE), rtr_paper, rtr; NAME+anchor '
                        'adds the anchor to any of them (e.g. rtr_paper+anchor)')
    chunks.add_argument('--out', required=True, help='output folder')
    chunks.add_argument('--config', help='executor config YAML (joints, limits, boundary)')
    chunks.add_argument('--chunk-topic', default='/rtr/action_chunk')
    chunks.add_argument('--reference-topic', default='/rtr/reference',
                        help='JointState reference for deviation (used if in the bag)')
    chunks.set_defaults(func=run_chunks)
    _add_open_loop(eval_sub)


def _add_open_loop(eval_sub) -> None:
    p = eval_sub.add_parser(
        'open-loop', help='predict chunks on recorded observations and compare them with the '
        'recorded actions (deviation, in-chunk jerk, between-chunk overlap)')
    p.add_argument('--bag', nargs='+', required=True, metavar='DIR',
                   help='rosbag2 recordings (or folders of them) with the policy\'s inputs and '
                   'the commanded actions')
    p.add_argument('--policy', required=True, metavar='CKPT', help='policy checkpoint')
    p.add_argument('--vae', help='action VAE of a latent policy (default: the path stored in '
                   'the checkpoint)')
    p.add_argument('--interpolation', choices=('none', 'linear', 'cubic'),
                   help='a 15 Hz policy: evaluate it upsampled this way (default: as trained)')
    p.add_argument('--stride', type=int, default=24, help='ticks between predicted chunks')
    p.add_argument('--seed', type=int, default=0, help='sampling seed')
    p.add_argument('--out', required=True, help='output folder')
    p.set_defaults(func=run_open_loop)


def run_open_loop(args) -> int:
    import tempfile
    from pathlib import Path

    import torch

    from rtr_bringup.demo.closed_loop import with_interpolation
    from rtr_core.evaluation.open_loop import evaluate_open_loop, write_open_loop
    from rtr_core.policy import Policy
    from rtr_training.dataset import PolicyDataset

    torch.set_num_threads(1)
    policy = Policy.load(args.policy, vae=args.vae)
    if args.interpolation:
        policy = with_interpolation(policy, args.interpolation)
    with tempfile.TemporaryDirectory() as cache:
        dataset = PolicyDataset.from_bags(args.bag, policy.contract, policy.config.horizon,
                                          cache)
        result = evaluate_open_loop(policy, dataset, args.stride, args.seed)
    name = Path(args.policy).stem
    written = write_open_loop(args.out, {name: result},
                              f'Open-loop evaluation of {args.policy}')
    print(written[0].read_text())
    print(f'wrote {len(written)} files to {args.out}')
    return 0


def run_chunks(args) -> int:
    import torch
    import yaml

    from rtr_core.evaluation.replay import (
        evaluate_stream,
        load_stream,
        strategy_config,
        write_outputs,
    )
    from rtr_core.executor.config import ExecutorConfig

    for spec in args.strategy:  # fail before reading the bag
        strategy_config(spec, ExecutorConfig())
    torch.set_num_threads(1)
    stream = load_stream(args.bag, args.chunk_topic, args.reference_topic)
    data = {}
    if args.config:
        with open(args.config) as f:
            data = yaml.safe_load(f) or {}
    data.setdefault('joint_names', list(stream.joint_names))
    config = ExecutorConfig.from_dict(data, where=args.config or 'executor config')
    vae = None
    if args.vae:
        from rtr_core.vae import ActionVAE

        vae = ActionVAE.load(args.vae)
    results, traces = evaluate_stream(stream, args.strategy, config, vae)
    written = write_outputs(args.out, stream, results, traces, title=f'Replay of {args.bag}')
    print((written[0]).read_text())
    print(f'wrote {len(written)} files to {args.out}')
    return 0
