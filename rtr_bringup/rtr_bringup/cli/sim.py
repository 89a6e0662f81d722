"""``rtr sim record``: expert demonstrations as rosbag2; ``rtr sim arm``: joint limits."""

from __future__ import annotations


def add_parser(sub) -> None:
    parser = sub.add_parser('sim', help='simulated arm: record demonstrations, show the arm')
    sim_sub = parser.add_subparsers(dest='sim_command', metavar='SIM_COMMAND', required=True)
    rec = sim_sub.add_parser('record', help='record scripted expert episodes, one bag each')
    rec.add_argument('--task', default='write', help='write or wipe (default: write)')
    rec.add_argument('--episodes', type=int, default=10, help='number of episodes')
    rec.add_argument('--out', required=True, help='folder for the bags (resumes if present)')
    rec.add_argument('--seed', type=int, default=0, help='randomisation seed')
    rec.add_argument('--workers', type=int, default=2, help='worker processes')
    rec.add_argument('--storage', default='mcap', help='mcap or sqlite3')
    rec.add_argument('--shapes', help='write task: comma-separated LASA shapes to draw from')
    rec.add_argument('--no-images', action='store_true', help='do not render the camera')
    rec.set_defaults(func=run_record)
    arm = sim_sub.add_parser('arm', help='joint names and limits of the simulated arm')
    arm.set_defaults(func=run_arm)


def run_record(args) -> int:
    from rtr_core.errors import RtrError
    from rtr_sim.recording import RecordConfig, record_dataset
    from rtr_sim.runner import RunnerConfig
    from rtr_sim.tasks import WriteConfig

    if args.episodes < 1:
        raise RtrError(f'--episodes: expected at least 1, got {args.episodes}')
    task_config = None
    if args.shapes:
        if args.task != 'write':
            raise RtrError('--shapes applies to --task write only')
        task_config = WriteConfig(shapes=tuple(s.strip() for s in args.shapes.split(',')))
    config = RecordConfig(task=args.task, seed=args.seed, storage=args.storage,
                          runner=RunnerConfig(render=not args.no_images),
                          task_config=task_config)
    metas = record_dataset(args.out, args.episodes, config, workers=args.workers)
    ok = sum(m['success'] for m in metas)
    print(f'{args.out}: {len(metas)} {args.task} episodes, expert success {ok}/{len(metas)}')
    for m in metas:
        if not m['success']:
            print(f'  failed: {m["task"]}_{m["index"]:04d} {m["metrics"]}')
    return 0 if ok == len(metas) else 1


def run_arm(args) -> int:
    from rtr_sim.arm import arm_spec

    spec = arm_spec()
    print(f'{"joint":10s} {"lower":>8s} {"upper":>8s} {"max_vel":>8s} {"max_acc":>8s} '
          f'{"effort":>7s} {"home":>8s}')
    for i, name in enumerate(spec.joint_names):
        print(f'{name:10s} {spec.lower[i]:8.4f} {spec.upper[i]:8.4f} {spec.max_velocity[i]:8.3f} '
              f'{spec.max_acceleration[i]:8.2f} {spec.max_effort[i]:7.1f} {spec.home[i]:8.4f}')
    return 0
