"""Latent replies (a latent OFT / pi0.5 head that predicts action-VAE latents): decoded by the
configured VAE into the chunk's positions; the chunk keeps the latent too, so the executor's
RTR refinement starts from what the policy predicted."""

from __future__ import annotations

import numpy as np

from ..vae import ActionVAE
from .base import ReplyRejected, check_actions


def decode_latent(vae: ActionVAE, latent, joint_names: tuple[str, ...]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(positions (H, J), latent (L, C)) from a reply's latent, checked against the VAE."""
    rows, columns = vae.latent_shape
    z = check_actions(latent, columns, 'latent', rows=rows)
    if vae.action_dim != len(joint_names):
        raise ReplyRejected('shape', f'the VAE decodes {vae.action_dim} joints, the chunk '
                            f'has {len(joint_names)}')
    positions = vae.decode(z)
    if not np.all(np.isfinite(positions)):
        raise ReplyRejected('non_finite', 'the VAE decoded the latent to NaN or inf')
    return positions, z
