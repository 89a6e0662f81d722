"""The VAE objective: L1 reconstruction in normalised space, a jerk-matching term and a
tiny KL (seed: L1 + 1e-6 KL, no smoothness term)."""

from __future__ import annotations

import torch


def vae_loss(recon: torch.Tensor, target: torch.Tensor, mean: torch.Tensor,
             logvar: torch.Tensor, kl_weight: float, jerk_weight: float
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """(total loss, L1 part) for (B, H, D) chunks and (B, L, C) posteriors.

    L1 rather than L2 keeps fitting the small residuals that decide sub-millimetre error.
    The jerk term is the L1 distance between third time differences of reconstruction and
    input: a wiggle far too small to show in the position error still multiplies jerk
    (third difference / dt^3), and this term is what keeps reconstructions as smooth as the
    demonstrations. KL is summed over a chunk's latent and averaged over the batch.
    """
    l1 = (recon - target).abs().mean()
    loss = l1
    if jerk_weight:
        d3 = torch.diff(recon, n=3, dim=1) - torch.diff(target, n=3, dim=1)
        loss = loss + jerk_weight * d3.abs().mean()
    kl = -0.5 * (1 + logvar - mean.pow(2) - logvar.exp()).flatten(1).sum(1).mean()
    return loss + kl_weight * kl, l1
