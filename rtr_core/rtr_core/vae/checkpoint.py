"""The VAE checkpoint file (:class:`~rtr_core.checkpoint.CheckpointFormat`).

Layout (format version 1)::

    {'format': 'rtr.action_vae', 'version': 1, 'config': VAEConfig.to_dict(),
     'normaliser': {'low': [...], 'high': [...]}, 'action_names': [...],
     'state_dict': {name: tensor}}

Anything else a writer adds (e.g. a training report) is ignored by readers.
"""

from __future__ import annotations

from ..checkpoint import CheckpointFormat
from ..errors import RtrError


class CheckpointError(RtrError):
    """A VAE checkpoint that is missing, unreadable, of another format/version or shape."""


VAE_CHECKPOINT = CheckpointFormat('rtr.action_vae', 1, 'action VAE checkpoint',
                                  ('config', 'normaliser', 'action_names', 'state_dict'),
                                  CheckpointError)
FORMAT, FORMAT_VERSION = VAE_CHECKPOINT.name, VAE_CHECKPOINT.version
write_checkpoint = VAE_CHECKPOINT.write
read_checkpoint = VAE_CHECKPOINT.read
