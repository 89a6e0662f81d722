"""Pauses of the machine itself: how long a thread that should be running is not, with nothing
of ours running. The floor under any loop's lateness on this machine.

Why: over ROS 2 (bench_ros) the executor's 60 Hz tick is late by 0.1 ms at the median and
0.2-0.4 ms at p99, yet a few ticks in 40 runs are 30-67 ms late with nothing in the process to
blame (no step overrun, no garbage collection, no run-queue wait, no reported steal). Is that
our code or the machine?

1. spin (jHiccup's method): one process per core, pinned to it, reading the monotonic clock in
   a tight loop; a gap between two reads is time the thread did not run. The thread's own
   run-queue wait (``/proc/thread-self/schedstat``: the guest kernel ran something else) and
   the machine's steal time (``/proc/stat``: the hypervisor says it ran another guest) are
   read around every gap and over the run: a gap the guest counts as run-queue wait is its
   own kernel running another task on that core; one it does not is time the virtual CPU
   did not run that the guest is not told of (the hypervisor, or an interrupt).
2. sleep (cyclictest's method): ``rtr_core.realtime.PeriodicLoop`` at 60 Hz with a step that
   does nothing, its thread at SCHED_FIFO priority 50 where allowed (as ``rtr_nodes.yaml``
   deploys the executor), alone on the machine: its lateness is the wake-up of a sleeping
   thread, the executor's tick without the executor.

    .venv/bin/python benchmarks/bench_pauses.py --seconds 120
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

THRESHOLDS_MS = (1, 5, 10, 20, 50)

SPIN = r'''
import json, os, sys, time
cpu, seconds = int(sys.argv[1]), float(sys.argv[2])
os.sched_setaffinity(0, {cpu})
schedstat = os.open('/proc/thread-self/schedstat', os.O_RDONLY)  # bound to this thread


def run_queue_s():  # s this thread was runnable but the guest kernel ran something else
    return int(os.pread(schedstat, 128, 0).split()[1]) * 1e-9


def steal_s():
    with open('/proc/stat') as f:
        return int(f.readline().split()[8]) / os.sysconf('SC_CLK_TCK')


clock = time.perf_counter
gaps, iterations = [], 0
wait0, steal0 = run_queue_s(), steal_s()
start = prev = clock()
wait = wait0
end = start + seconds
while prev < end:
    now = clock()
    waited = run_queue_s()  # a syscall per read: ~1 us, far below the gaps counted
    if now - prev > 1e-4:  # (time since start, gap, of which the guest's run-queue wait)
        gaps.append((prev - start, now - prev, waited - wait))
    prev, wait = now, waited
    iterations += 1
print(json.dumps({'cpu': cpu, 'seconds': prev - start, 'iterations': iterations,
                  'gaps': gaps, 'run_queue_s': run_queue_s() - wait0,
                  'steal_s': steal_s() - steal0}))
'''


def counts(values_ms: np.ndarray) -> str:
    return ' | '.join(str(int((values_ms > t).sum())) for t in THRESHOLDS_MS)


def spin(seconds: float) -> list[dict]:
    procs = [subprocess.Popen([sys.executable, '-c', SPIN, str(cpu), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
             for cpu in sorted(os.sched_getaffinity(0))]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f'the spin probe exited {proc.returncode}')
        results.append(json.loads(out))
    return results


def sleep(seconds: float, priority: int) -> tuple[np.ndarray, str, object]:
    from rtr_core.realtime import PeriodicLoop

    loop = PeriodicLoop(1 / 60, lambda: None, name='bench-pauses', priority=priority,
                        keep=int(seconds * 60) + 120).start()
    time.sleep(seconds)
    loop.stop()
    return loop.lateness_ms(), loop.priority_error, loop.stats().worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=60.0, help='of each probe')
    parser.add_argument('--priority', type=int, default=50,
                        help='SCHED_FIFO priority of the sleeping loop (0: normal)')
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f'machine: {os.uname().release}, {os.cpu_count()} cores, load average at the start '
          f'{load[0]:.2f} (1 min), {load[2]:.2f} (15 min); {args.seconds:g} s per probe, '
          'nothing else of ours running\n')
    over = ' | '.join(f'> {t} ms' for t in THRESHOLDS_MS)
    print(f'| spin probe (a tight clock-reading loop per core) | s | gaps > 0.1 ms | {over} | '
          'longest ms | gaps > 10 ms: the guest ran another task / not told | sum of gaps '
          '> 1 ms, ms | run-queue wait ms | steal reported ms (all cores) |')
    print('|---|---|---|' + '---|' * len(THRESHOLDS_MS) + '---|---|---|---|---|')
    longest = []
    for r in spin(args.seconds):
        gaps = np.array([g for _, g, _ in r['gaps']]).reshape(-1) * 1e3
        waits = np.array([w for _, _, w in r['gaps']]).reshape(-1) * 1e3
        long = gaps > 10
        guest = int((waits[long] > 0.5 * gaps[long]).sum())
        longest += [(g * 1e3, r['cpu'], t, w * 1e3) for t, g, w in r['gaps']]
        print(f'| CPU {r["cpu"]} | {r["seconds"]:.0f} | {gaps.size} | {counts(gaps)} | '
              f'{gaps.max() if gaps.size else 0:.1f} | {guest} / {int(long.sum()) - guest} | '
              f'{gaps[gaps > 1].sum():.1f} | {r["run_queue_s"] * 1e3:.1f} | '
              f'{r["steal_s"] * 1e3:.0f} |')
    top = sorted(longest, reverse=True)[:10]
    print('\nLongest spin gaps (of it, run-queue wait): ' + ', '.join(
        f'{g:.1f} ms ({w:.1f}; CPU {c} at {t:.1f} s)' for g, c, t, w in top) + '\n')
    late, refused, worst = sleep(args.seconds, args.priority)
    prio = f'SCHED_FIFO {args.priority}' if args.priority and not refused else 'normal'
    print(f'| sleep probe (PeriodicLoop, 60 Hz, empty step) | priority | ticks | lateness p50 '
          f'/ p99 / p99.9 ms | {over} | max ms |')
    print('|---|---|---|---|' + '---|' * len(THRESHOLDS_MS) + '---|')
    p50, p99, p999 = np.percentile(late, [50, 99, 99.9])
    print(f'| alone on the machine | {prio} | {late.size} | {p50:.2f} / {p99:.2f} / {p999:.2f} '
          f'| {counts(late)} | {late.max():.1f} |')
    if refused:
        print(f'\n{refused}')
    if worst is not None:
        print(f'\nThe sleeping loop\'s latest tick: {worst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
