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
                        'rtr_paper, rtr')
    chunks.add_argument('--out', required=True, help='output folder')
    chunks.add_argument('--config', help='executor config YAML (joints, limits, boundary)')
    chunks.add_argument('--chunk-topic', default='/rtr/action_chunk')
    chunks.add_argument('--reference-topic', default='/rtr/reference',
                        help='JointState reference for deviation (used if in the bag)')
    chunks.set_defaults(func=run_chunks)


def run_chunks(args) -> int:
    import torch
    import yaml

    from rtr_core.boundary import STRATEGIES, BoundaryError
    from rtr_core.evaluation.replay import evaluate_stream, load_stream, write_outputs
    from rtr_core.executor.config import ExecutorConfig

    unknown = [s for s in args.strategy if s not in STRATEGIES]
    if unknown:
        raise BoundaryError(f'--strategy: unknown {", ".join(unknown)}; expected some of '
                            f'{", ".join(STRATEGIES)}')
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
