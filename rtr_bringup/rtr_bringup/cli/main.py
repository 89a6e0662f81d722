"""Entry point of the ``rtr`` command.

Each subcommand lives in its own module of this package with a function
``add_parser(subparsers)`` that declares its arguments and sets ``func`` to the function that
runs it. Adding a command is adding a module: every module here but this one is a command.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

#: Subcommand modules, in the order ``rtr --help`` lists them (alphabetical).
COMMANDS = tuple(sorted(
    m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name != 'main'
))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='rtr',
        description='Smooth execution of learned action-chunk policies: simulate, train, '
        'evaluate and run the demo without ROS.',
    )
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    for name in COMMANDS:
        importlib.import_module(f'{__package__}.{name}').add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from rtr_core.errors import RtrError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RtrError as exc:
        print(f'rtr: error: {exc}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
