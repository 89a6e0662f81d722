"""Two demo runs against each other, paired over their held-out episodes.

`rtr demo` compares runs (strategies) within one configuration; this compares the same runs
across two configurations that differ in one thing (e.g. the VAE: the committed mixed network
vs a per-joint one, with the latent policy retrained on it). Both folders must have evaluated
the same held-out episodes (same data.eval_seed and eval_episodes): the pairs are episode by
episode, as in the demo report's ablation table.

    .venv/bin/python benchmarks/compare_demos.py runs/demo_pj runs/demo_mx
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def load(folder: Path) -> dict[str, list[dict]]:
    path = folder / 'summary.json'
    try:
        per_episode = json.loads(path.read_text())['per_episode']
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise SystemExit(f'{path}: expected a demo summary with per_episode ({exc})') from exc
    return per_episode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('first', type=Path, help='demo run folder (runs/NAME)')
    parser.add_argument('second', type=Path, help='the demo run folder it is compared with')
    args = parser.parse_args(argv)
    from rtr_bringup.demo.report import paired_table

    a, b = load(args.first), load(args.second)
    common = [name for name in a if name in b]
    if not common:
        raise SystemExit(f'{args.first} and {args.second} have no run in common')
    for name in common:
        if len(a[name]) != len(b[name]):
            raise SystemExit(f'run {name}: {len(a[name])} episodes in {args.first}, '
                             f'{len(b[name])} in {args.second}: not the same held-out set')
    tag_a, tag_b = args.first.name, args.second.name
    merged = {f'{n} ({tag_a})': a[n] for n in common} | {f'{n} ({tag_b})': b[n] for n in common}
    pairs = [(f'{n} ({tag_a})', f'{n} ({tag_b})') for n in common]
    print(f'{tag_a} - {tag_b}, {len(a[common[0]])} held-out episodes per run.\n')
    print(paired_table(merged, pairs))
    print('Each cell: mean over the paired held-out episodes of (first - second) with its 95% '
          'bootstrap interval; better or worse only where the interval excludes 0 (lower is '
          'better except success).')
    return 0


if __name__ == '__main__':
    sys.exit(main())
