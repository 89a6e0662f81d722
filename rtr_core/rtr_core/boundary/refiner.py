"""The action VAE seen from the executor: columns in the executor's joint order.

A VAE trained on named actions is matched by name (its ``action_names`` must be the
executor's joints, in any order); one with generic names (``a0``, ``a1``...) is taken to be
in the executor's order when the dimensions agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import BoundaryError

if TYPE_CHECKING:  # torch only where a VAE refines: the baselines run without it
    import torch


class Refiner:
    """An :class:`~rtr_core.vae.ActionVAE` (``action_vae``) seen in the executor's joint
    order: what the refining strategies hold as ``refiner``."""

    def __init__(self, action_vae, joint_names: tuple[str, ...], period: float | None = None):
        vae = action_vae
        if period is not None and abs(float(vae.dt) - period) > 1e-9:
            raise BoundaryError(f'action VAE period {vae.dt:.6g} s differs from the executor '
                                f'control period {period:.6g} s')
        names = tuple(vae.action_names)
        joints = tuple(joint_names)
        generic = names == tuple(f'a{i}' for i in range(len(names)))
        if set(names) == set(joints) and len(names) == len(joints):
            self._to_vae = np.array([joints.index(n) for n in names])
        elif generic and len(names) == len(joints):
            self._to_vae = np.arange(len(joints))
        else:
            raise BoundaryError(f'action VAE actions ({", ".join(names)}) do not match the '
                                f'executor joints ({", ".join(joints)})')
        self._from_vae = np.argsort(self._to_vae)
        self.action_vae = vae
        self.horizon = int(vae.horizon)
        self.dt = float(vae.dt)

    def reconstruct(self, positions: np.ndarray) -> np.ndarray:
        """decode(posterior mean(encode(x))) for x (H, J) or (B, H, J) in executor order."""
        out = self.action_vae.reconstruct(positions[..., self._to_vae])
        return out[..., self._from_vae]

    def reconstruct_sampled(self, positions: np.ndarray, generator: torch.Generator
                            ) -> np.ndarray:
        """decode(z) with z sampled from the posterior, as the seed did."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(positions[:, self._to_vae],
                                                  dtype=np.float32))[None]
        vae = self.action_vae
        net = vae.net
        with torch.inference_mode():
            mean, logvar = net.encode(vae.normalise(x))
            noise = torch.randn(mean.shape, generator=generator)
            y = vae.denormalise(net.decode(mean + noise * torch.exp(0.5 * logvar)))
        return y[0].numpy().astype(np.float64)[:, self._from_vae]
