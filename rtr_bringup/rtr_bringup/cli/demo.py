"""``rtr demo``: the whole system in simulation, then a report (what ``make demo`` runs).

Logic lives in :mod:`rtr_bringup.demo`; this module only parses arguments.
"""

from __future__ import annotations


def add_parser(sub) -> None:
    parser = sub.add_parser(
        'demo', help='record, train (or reuse checkpoints), run every configuration in closed '
        'loop and write a report')
    parser.add_argument('--config', help='demo YAML (default: rtr_bringup/config/demo.yaml); '
                        'holds only what differs from rtr_bringup.demo.config.DemoConfig')
    parser.add_argument('--name', help='run folder name under runs/ (default: from the config)')
    parser.add_argument('--retrain', action='store_true',
                        help='record and train everything, ignoring committed and cached '
                        'checkpoints')
    parser.add_argument('--save-checkpoints', action='store_true',
                        help='copy the artifacts used into the config\'s checkpoints folder')
    parser.add_argument('--real-time', action='store_true',
                        help='run one configuration with real threads on the wall clock and '
                        'report tick lateness (instead of the comparison)')
    parser.add_argument('--ros', action='store_true',
                        help='run one configuration (real_time.run) over real ROS 2: the '
                        'simulated robot, the executor and the policy node as three processes '
                        'over DDS, side by side with the same episodes in process')
    parser.add_argument('--episodes', type=int,
                        help='held-out episodes for --real-time / --ros (default: the config\'s '
                        'real_time.episodes)')
    parser.set_defaults(func=run)


def run(args) -> int:
    import dataclasses

    from rtr_bringup.demo.closed_loop import bringup_config
    from rtr_bringup.demo.config import DemoConfig

    config = DemoConfig.load(args.config or bringup_config('demo.yaml'))
    if args.name:
        config = dataclasses.replace(config, name=args.name)
    if args.real_time and args.ros:
        raise SystemExit('rtr demo: --real-time and --ros are two different runs; choose one')
    if args.episodes is not None:
        config = dataclasses.replace(config, real_time=dataclasses.replace(
            config.real_time, episodes=args.episodes))
    if args.ros:
        from rtr_bringup.demo.ros_run import run_ros

        run_ros(config, retrain=args.retrain, save_checkpoints=args.save_checkpoints)
        return 0
    if args.real_time:
        from rtr_bringup.demo.real_time import run_real_time

        run_real_time(config, retrain=args.retrain, save_checkpoints=args.save_checkpoints)
        return 0
    from rtr_bringup.demo.pipeline import run_demo

    run_demo(config, retrain=args.retrain, save_checkpoints=args.save_checkpoints)
    return 0
