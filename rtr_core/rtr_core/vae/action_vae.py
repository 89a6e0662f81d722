"""ActionVAE: the numpy-boundary object the policy, the executor and the tools share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..errors import RtrError
from .checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from .config import VAEConfig, VAEConfigError
from .model import ActionVAENet
from .normaliser import MinMaxNormaliser


class ActionVAE:
    """A trained action VAE with its normaliser, action names and period.

    ``encode`` returns the posterior mean, so ``decode(encode(x))`` is deterministic (the
    seed sampled, which made refinement random). Both accept a single item or a batch. For
    a real-time loop call ``torch.set_num_threads(1)`` once; each call then costs well under
    a millisecond for a (48, 7) chunk (see ``benchmarks/bench_vae.py``).

    For gradient-based latent optimisation use the torch pieces: ``vae.net`` works on
    normalised (B, H, D) tensors and (B, L, C) latents, its weights frozen so gradients reach
    only the latent; ``vae.normalise`` and ``vae.denormalise`` convert data-unit tensors.
    """

    def __init__(self, config: VAEConfig, normaliser: MinMaxNormaliser,
                 action_names: Sequence[str] | None = None, net: ActionVAENet | None = None):
        if normaliser.dim != config.action_dim:
            raise VAEConfigError(f'normaliser has {normaliser.dim} dims, config.action_dim is '
                                 f'{config.action_dim}')
        names = tuple(action_names) if action_names else tuple(
            f'a{i}' for i in range(config.action_dim))
        if len(names) != config.action_dim:
            raise VAEConfigError(f'{len(names)} action names for action_dim '
                                 f'{config.action_dim}: {", ".join(names)}')
        self.config = config
        self.normaliser = normaliser
        self.action_names = names
        # frozen: gradients of a latent-space refinement flow to the latent only (training
        # code unfreezes the weights explicitly)
        self.net = (net if net is not None else ActionVAENet(config)).eval().requires_grad_(False)
        self._centre, self._scale = normaliser.torch_params()

    # --- shape ------------------------------------------------------------------------------

    @property
    def horizon(self) -> int:
        return self.config.horizon

    @property
    def dt(self) -> float:
        return self.config.dt

    @property
    def action_dim(self) -> int:
        return self.config.action_dim

    @property
    def latent_shape(self) -> tuple[int, int]:
        """(latent steps L, latent channels C) of one chunk."""
        return self.config.latent_shape

    # --- torch pieces -----------------------------------------------------------------------

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """Data units -> the [-1, 1] space the network works in (differentiable)."""
        return (x - self._centre) / self._scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self._scale + self._centre

    # --- numpy boundary ---------------------------------------------------------------------

    def _as_batch(self, x, shape: tuple[int, int], what: str) -> tuple[torch.Tensor, bool]:
        a = np.asarray(x)
        single = a.ndim == 2
        if a.ndim not in (2, 3) or a.shape[-2:] != shape:
            raise RtrError(f'ActionVAE.{what}: expected shape {shape} or (B, {shape[0]}, '
                           f'{shape[1]}), got {a.shape}')
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        return (t.unsqueeze(0) if single else t), single

    @staticmethod
    def _out(t: torch.Tensor, single: bool) -> np.ndarray:
        out = t.numpy().astype(np.float64)
        return out[0] if single else out

    def encode(self, chunks: np.ndarray) -> np.ndarray:
        """(H, D) or (B, H, D) actions in data units -> posterior-mean latents (L, C) or
        (B, L, C)."""
        x, single = self._as_batch(chunks, (self.horizon, self.action_dim), 'encode')
        with torch.inference_mode():
            return self._out(self.net.encode_mean(self.normalise(x)), single)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """(L, C) or (B, L, C) latents -> (H, D) or (B, H, D) actions in data units."""
        z, single = self._as_batch(latents, self.latent_shape, 'decode')
        with torch.inference_mode():
            return self._out(self.denormalise(self.net.decode(z)), single)

    def reconstruct(self, chunks: np.ndarray) -> np.ndarray:
        """``decode(encode(chunks))`` in one torch pass: the plain RTR refinement."""
        x, single = self._as_batch(chunks, (self.horizon, self.action_dim), 'reconstruct')
        with torch.inference_mode():
            y = self.denormalise(self.net.decode(self.net.encode_mean(self.normalise(x))))
            return self._out(y, single)

    # --- identity and files -----------------------------------------------------------------

    def _header(self) -> dict:
        return {'config': self.config.to_dict(), 'normaliser': self.normaliser.to_dict(),
                'action_names': list(self.action_names)}

    @property
    def hash(self) -> str:
        """Content hash (16 hex digits) of config, normaliser, names and weights.

        Equal for the same model however it was saved or loaded; policy checkpoints store it
        to refuse a VAE they were not trained with.
        """
        h = hashlib.sha256(json.dumps(self._header(), sort_keys=True).encode())
        for name, tensor in sorted(self.net.state_dict().items()):
            h.update(name.encode())
            h.update(tensor.detach().to(torch.float32).contiguous().numpy().tobytes())
        return h.hexdigest()[:16]

    def save(self, path: str | Path, **extra) -> None:
        """Write the checkpoint atomically; ``extra`` fields (e.g. a report) ride along."""
        state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        write_checkpoint(path, {**extra, **self._header(), 'state_dict': state})

    @classmethod
    def load(cls, path: str | Path, horizon: int | None = None, action_dim: int | None = None,
             dt: float | None = None) -> ActionVAE:
        """Load a checkpoint; given ``horizon``/``action_dim``/``dt`` must match it."""
        data = read_checkpoint(path)
        try:
            config = VAEConfig.from_dict(data['config'], where=f'{path}: config')
            normaliser = MinMaxNormaliser.from_dict(data['normaliser'])
            vae = cls(config, normaliser, data['action_names'])
        except (RtrError, KeyError, TypeError) as exc:
            raise CheckpointError(f'{path}: inconsistent action VAE checkpoint: {exc}') from exc
        try:
            vae.net.load_state_dict(data['state_dict'])
        except RuntimeError as exc:
            raise CheckpointError(f'{path}: weights do not match the stored config: '
                                  f'{exc}') from exc
        expected = {'horizon': horizon, 'action_dim': action_dim}
        for field, want in expected.items():
            if want is not None and getattr(config, field) != want:
                raise CheckpointError(f'{path}: VAE {field} is {getattr(config, field)}, '
                                      f'expected {want}')
        if dt is not None and abs(config.dt - dt) > 1e-9:
            raise CheckpointError(f'{path}: VAE dt is {config.dt:.6g} s, expected {dt:.6g} s')
        return vae
