"""The action VAE: smooth 60 Hz action chunks from a compact, temporally downsampled latent.

Public, stable API (method.md section 2)::

    from rtr_core.vae import ActionVAE
    vae = ActionVAE.load('vae.pt')
    z = vae.encode(chunk)        # (H, D) or (B, H, D) data units -> (L, C) or (B, L, C)
    smooth = vae.decode(z)       # back to data units
    vae.horizon, vae.dt, vae.action_dim, vae.latent_shape, vae.action_names, vae.hash

Torch pieces for latent-space optimisation (RTR refinement): ``vae.net`` (an
:class:`ActionVAENet` working on normalised tensors) with ``vae.normalise`` /
``vae.denormalise``.
"""

from .action_vae import ActionVAE
from .checkpoint import FORMAT, FORMAT_VERSION, CheckpointError
from .config import VAEConfig
from .model import ActionVAENet
from .normaliser import MinMaxNormaliser

__all__ = [
    'FORMAT',
    'FORMAT_VERSION',
    'ActionVAE',
    'ActionVAENet',
    'CheckpointError',
    'MinMaxNormaliser',
    'VAEConfig',
]
