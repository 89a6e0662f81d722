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

from ..checkpoint import CheckpointFormat
from ..errors import RtrError


class PolicyCheckpointError(RtrError):
    """A policy checkpoint that is missing, of another format or version, or that does not
    match the VAE or observations it is used with."""


POLICY_CHECKPOINT = CheckpointFormat('rtr.policy', 1, 'policy checkpoint',
                                     ('config', 'contract', 'normalisers', 'vae',
                                      'state_dict'), PolicyCheckpointError)
FORMAT, FORMAT_VERSION = POLICY_CHECKPOINT.name, POLICY_CHECKPOINT.version
write_checkpoint = POLICY_CHECKPOINT.write
read_checkpoint = POLICY_CHECKPOINT.read
