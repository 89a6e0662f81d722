"""``rtr demo``: the whole system in simulation (built by the demo issue)."""

from __future__ import annotations


def add_parser(sub) -> None:
    parser = sub.add_parser('demo', help='run the whole system in simulation and report')
    parser.set_defaults(func=run)


def run(args) -> int:
    print('demo not built yet')
    return 0
