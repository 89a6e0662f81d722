"""The VAE checkpoint file: one ``torch.save`` dict, read back with ``weights_only=True``.

Layout (format version 1)::

    {'format': 'rtr.action_vae', 'version': 1, 'config': VAEConfig.to_dict(),
     'normaliser': {'low': [...], 'high': [...]}, 'action_names': [...],
     'state_dict': {name: tensor}}

Anything else a writer adds (e.g. a training report) is ignored by readers.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..atomic import atomic_path
from ..errors import RtrError

FORMAT = 'rtr.action_vae'
FORMAT_VERSION = 1


class CheckpointError(RtrError):
    """A VAE checkpoint that is missing, unreadable, of another format/version or shape."""


def write_checkpoint(path: str | Path, payload: dict) -> None:
    """Write ``payload`` atomically (a reader never sees a half-written file)."""
    with atomic_path(path) as tmp:
        torch.save({'format': FORMAT, 'version': FORMAT_VERSION, **payload}, tmp)


def read_checkpoint(path: str | Path) -> dict:
    """Load and check the header; the caller checks the contents against the config."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f'{path}: no such VAE checkpoint')
    try:
        data = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:
        raise CheckpointError(f'{path}: not a readable torch checkpoint: {exc}') from exc
    if not isinstance(data, dict) or data.get('format') != FORMAT:
        got = data.get('format') if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(f'{path}: not an action VAE checkpoint (format {got!r}, '
                              f'expected {FORMAT!r})')
    if data.get('version') != FORMAT_VERSION:
        raise CheckpointError(f'{path}: action VAE checkpoint format version '
                              f'{data.get("version")!r}; this rtr reads version {FORMAT_VERSION}')
    for key in ('config', 'normaliser', 'action_names', 'state_dict'):
        if key not in data:
            raise CheckpointError(f'{path}: action VAE checkpoint lacks the field {key!r}')
    return data
