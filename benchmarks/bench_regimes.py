"""Demo runs in other regimes (issue 16): a few configurations of ``rtr demo`` on a subset of
the held-out episodes, with another latency model or boundary overrides, measured with the
demo's own metrics (rtr_bringup.demo.metrics) and paired 95% intervals.

    .venv/bin/python benchmarks/bench_regimes.py --runs anchor rtr --episodes 6
    .venv/bin/python benchmarks/bench_regimes.py --runs naive rtr_paper anchor rtr \\
        --latency 0.25 0.35 --episodes 12                   # 0.3 s delays
    .venv/bin/python benchmarks/bench_regimes.py --runs anchor rtr \\
        --extra rtr_retime=rtr:retime=true --episodes 8      # a run with boundary overrides

Uses the committed checkpoints (checkpoints/demo), one process and one torch thread. The
in-chunk baselines of the seam metrics are the ticks quiet for every run given here (as in
the demo, over its runs), so numbers of different run sets differ slightly there. Prints the
summary table and the paired table (every pair of ``--pairs``, default each run minus
``anchor``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from rtr_bringup.demo import report
from rtr_bringup.demo.artifacts import prepare
from rtr_bringup.demo.config import DemoConfig, LatencyConfig, RunConfig
from rtr_bringup.demo.metrics import (
    episode_metrics,
    episode_quiet,
    run_blend,
    summary_row,
    summary_table,
)
from rtr_bringup.demo.pipeline import _eval_seeds, _run_episodes
from rtr_core.threads import torch_threads


def _value(text: str):
    low = text.lower()
    if low in ('true', 'false'):
        return low == 'true'
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def extra_run(spec: str, base: DemoConfig) -> RunConfig:
    """``name=run[:key=value,...]``: demo run ``run`` renamed, with boundary overrides."""
    name, _, rest = spec.partition('=')
    parent, _, overrides = rest.partition(':')
    if not name or not parent:
        raise SystemExit(f'--extra {spec!r}: expected NAME=RUN[:key=value,...]')
    boundary = dict(base.run(parent).boundary)
    for item in filter(None, overrides.split(',')):
        key, _, value = item.partition('=')
        boundary[key] = _value(value)
    return dataclasses.replace(base.run(parent), name=name, boundary=boundary)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--runs', nargs='+', default=['anchor', 'rtr'], help='demo run names')
    p.add_argument('--extra', nargs='*', default=[], metavar='NAME=RUN[:key=value,...]',
                   help='more runs: a demo run with boundary overrides')
    p.add_argument('--episodes', type=int, default=6, help='first N held-out episodes')
    p.add_argument('--latency', type=float, nargs=2, metavar=('LOW', 'HIGH'),
                   help='observation-to-chunk latency, uniform (s); default the demo\'s')
    p.add_argument('--threshold', type=int, help='trigger threshold (planned actions left)')
    p.add_argument('--pairs', nargs='*', default=None, metavar='A-B',
                   help='paired differences (default: every run minus anchor)')
    p.add_argument('--out', default='runs/bench_regimes')
    p.add_argument('--json', help='write rows and per-episode metrics here')
    args = p.parse_args(argv)

    base = DemoConfig()
    runs = [base.run(n) for n in args.runs] + [extra_run(s, base) for s in args.extra]
    changes = {'runs': tuple(runs), 'processes': 1, 'name': 'bench_regimes',
               'real_time': dataclasses.replace(base.real_time, run=runs[0].name),
               'runs_dir': str(Path(args.out).parent),
               'data': dataclasses.replace(base.data, eval_episodes=args.episodes)}
    if args.latency:
        changes['latency'] = LatencyConfig(*args.latency)
    if args.threshold:
        changes['trigger_threshold'] = args.threshold
    config = dataclasses.replace(base, **changes)
    run_dir = Path(args.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with torch_threads(1):
        artifacts = prepare(config, run_dir, log=lambda _: None)
        if any(o != 'committed' for o in artifacts.origin.values()):
            print(f'warning: artifacts not all committed: {artifacts.origin}', file=sys.stderr)
        seeds = _eval_seeds(config)
        logs = {}
        for run in config.runs:
            t1 = time.perf_counter()
            logs[run.name] = _run_episodes(config, run.name, run_dir, seeds, artifacts)
            print(f'  {run.name}: {len(seeds)} episodes, {time.perf_counter() - t1:.0f} s',
                  file=sys.stderr, flush=True)
    period = float(np.median(np.diff(next(iter(logs.values()))[0].t)))
    blend = max(run_blend(run, config, period) for run in config.runs)
    per_run = {name: [] for name in logs}
    for i in range(len(seeds)):
        episode = [runs_[i] for runs_ in logs.values()]
        for name, quiet in zip(logs, episode_quiet(episode, period, blend), strict=True):
            per_run[name].append(episode_metrics(logs[name][i], period, quiet))
    rows = {name: summary_row(m) for name, m in per_run.items()}
    if args.pairs is None:
        pairs = [(n, 'anchor') for n in logs if n != 'anchor' and 'anchor' in logs]
    else:
        pairs = [tuple(s.split('-', 1)) for s in args.pairs]
    lat = config.latency
    print(f'latency [{lat.low:.2f}, {lat.high:.2f}] s, trigger at {config.trigger_threshold} '
          f'planned actions, {len(seeds)} held-out episodes, '
          f'{time.perf_counter() - t0:.0f} s\n')
    print(summary_table(rows))
    print(report.paired_table(per_run, pairs))
    if args.json:
        Path(args.json).write_text(json.dumps({'rows': rows, 'per_episode': per_run},
                                              default=_json, indent=1))
    return 0


def _json(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value).__name__)


if __name__ == '__main__':
    sys.exit(main())
