"""Which rosbag2 folders a list of user paths means."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..data import DataError


def find_bags(paths: Iterable[str | Path]) -> list[Path]:
    """Each path is a rosbag2 folder (it has ``metadata.yaml``) or a folder of them (as
    ``rtr sim record --out DIR`` writes); the result is sorted within each folder."""
    bags: list[Path] = []
    for p in map(Path, paths):
        if (p / 'metadata.yaml').is_file():
            bags.append(p)
        elif p.is_dir():
            found = sorted(d for d in p.iterdir() if (d / 'metadata.yaml').is_file())
            if not found:
                raise DataError(f'{p}: neither a rosbag2 folder nor a folder of rosbag2 folders '
                                f'(no metadata.yaml found)')
            bags.extend(found)
        else:
            raise DataError(f'{p}: no such rosbag2 folder')
    if not bags:
        raise DataError('no bags given')
    return bags
