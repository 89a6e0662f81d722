"""Training hyper-parameters of the action VAE (the model's shape is a VAEConfig)."""

from __future__ import annotations

from dataclasses import dataclass

from rtr_core.config import added_field
from rtr_core.errors import RtrError


@dataclass(frozen=True)
class VAETrainingConfig:
    """Seed values (method.md section 2) except: L1 + tiny KL kept, a short warm-up added.

    Training is counted in optimizer steps (the cosine schedule spans ``steps``), not epochs:
    with stride-1 windows an epoch's size depends on the data, a step's cost does not.
    """

    steps: int = 4000
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    kl_weight: float = 1e-6
    jerk_weight: float = 100.0  # see loss.vae_loss; 0 gives the seed's objective
    stride: int = 1
    val_fraction: float = 0.15
    eval_every: int = 500
    max_val_windows: int = 8192  # validation during training uses at most this many windows
    seed: int = 0
    # the report flags (and ``rtr train vae`` refuses) a model whose validation error in any
    # action dimension is not below this fraction of the error of predicting each window by
    # its mean (ReconstructionReport.unlearned)
    max_baseline_ratio: float = added_field(0.2)
    # torch threads. One by default: on a shared 2-core machine two OpenMP threads that
    # compete with other jobs ran 5-8x slower per step than one (docs/benchmarks.md).
    threads: int | None = 1
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ('steps', 'batch_size', 'stride', 'eval_every', 'max_val_windows'):
            if getattr(self, name) < 1:
                raise RtrError(f'VAE training config {name}={getattr(self, name)}: expected a '
                               f'positive integer')
        if not self.max_baseline_ratio > 0:
            raise RtrError(f'VAE training config max_baseline_ratio={self.max_baseline_ratio}: '
                           f'expected a positive fraction (0.2: error under a fifth of the '
                           f'window-mean baseline)')
        if not 0 < self.val_fraction < 1:
            raise RtrError(f'VAE training config val_fraction={self.val_fraction}: expected a '
                           f'fraction in (0, 1)')
