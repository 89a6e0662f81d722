"""``rtr serve openpi --policy CKPT``: an rtr checkpoint served over openpi's websocket
protocol, for trying the ``openpi`` source of the policy node without a GPU machine (and the
way the tests and benchmarks/bench_openpi.py serve one). A real pi0 / pi0.5 is served by
openpi's own ``scripts/serve_policy.py`` (docs/sources/openpi.md)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser('serve', help='serve an rtr checkpoint over openpi\'s websocket '
                       'protocol (for the policy node\'s openpi source)')
    what = p.add_subparsers(dest='serve_command', metavar='PROTOCOL', required=True)
    o = what.add_parser('openpi', help='openpi\'s protocol (msgpack-numpy over websockets)')
    o.add_argument('--policy', required=True, metavar='CKPT', help='from rtr train policy')
    o.add_argument('--vae', metavar='CKPT', help='latent policies: the action VAE (default: '
                   'the one stored in the checkpoint)')
    o.add_argument('--latent', action='store_true', help='reply with the VAE latent instead '
                   'of joint positions (the node decodes it: openpi.actions.mode latent)')
    o.add_argument('--host', default='0.0.0.0')
    o.add_argument('--port', type=int, default=8000)
    o.add_argument('--threads', type=int, default=2, help='torch threads')
    p.set_defaults(func=run)


def run(args) -> int:
    import torch

    from rtr_core.policy import Policy
    from rtr_core.sources.openpi_server import PolicyServer, RtrOpenpiPolicy

    torch.set_num_threads(args.threads)
    policy = Policy.load(args.policy, vae=args.vae)
    served = RtrOpenpiPolicy(policy, latent=args.latent)
    c = policy.contract
    metadata = {'policy': policy.name, 'version': policy.version,
                'joint_names': list(policy.joint_names), 'action_rate_hz': 1.0 / policy.output_dt,
                'inputs': list(c.inputs), 'keys': served.keys, 'latent': args.latent}
    print(f'serving {args.policy} ({policy.name} {policy.version}) on ws://{args.host}:'
          f'{args.port}: keys {served.keys}, actions every {policy.output_dt:.6g} s')
    PolicyServer(served, args.host, args.port, metadata).serve_forever()
    return 0
