"""The policy checkpoint file: one ``torch.save`` dict, read back with ``weights_only=True``.

Layout (format version 1)::

    {'format': 'rtr.policy', 'version': 1,
     'config': PolicyConfig fields, 'contract': ObservationContract fields (with joint names),
     'normalisers': {'action' | 'native' | 'joint_positions' | 'wrench': {'low', 'high'}},
     'vae': None or {'hash': ..., 'path': ...},   # the VAE the latent policy decodes with
     'state_dict': {name: tensor}, 'training': {...}}

Like diffusion_policy, the normalisers travel inside the checkpoint; unlike it, the VAE is a
reference (its content hash), checked when the policy is loaded.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..atomic import atomic_path
from ..errors import RtrError

FORMAT = 'rtr.policy'
FORMAT_VERSION = 1
FIELDS = ('config', 'contract', 'normalisers', 'vae', 'state_dict')


class PolicyCheckpointError(RtrError):
    """A policy checkpoint that is missing, of another format or version, or that does not
    match the VAE or observations it is used with."""


def write_checkpoint(path: str | Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save({'format': FORMAT, 'version': FORMAT_VERSION, **payload}, tmp)


def read_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise PolicyCheckpointError(f'{path}: no such policy checkpoint')
    try:
        data = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:
        raise PolicyCheckpointError(f'{path}: not a readable torch checkpoint: {exc}') from exc
    if not isinstance(data, dict) or data.get('format') != FORMAT:
        got = data.get('format') if isinstance(data, dict) else type(data).__name__
        raise PolicyCheckpointError(f'{path}: not a policy checkpoint (format {got!r}, '
                                    f'expected {FORMAT!r})')
    if data.get('version') != FORMAT_VERSION:
        raise PolicyCheckpointError(f'{path}: policy checkpoint format version '
                                    f'{data.get("version")!r}; this rtr reads version '
                                    f'{FORMAT_VERSION}')
    for key in FIELDS:
        if key not in data:
            raise PolicyCheckpointError(f'{path}: policy checkpoint lacks the field {key!r}')
    return data
