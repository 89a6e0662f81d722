"""Learning-rate schedule: linear warm-up then cosine decay, a pure function of the step.

Being stateless, it resumes exactly from a step count; nothing to checkpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class CosineSchedule:
    base_lr: float
    total_steps: int
    warmup_steps: int = 0
    final_fraction: float = 0.0  # lr at the last step, as a fraction of base_lr

    def lr(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.base_lr * (step + 1) / self.warmup_steps
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.base_lr * (self.final_fraction + (1.0 - self.final_fraction) * cosine)

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        """Set the lr of every parameter group for ``step``; returns it."""
        lr = self.lr(step)
        for group in optimizer.param_groups:
            group['lr'] = lr
        return lr
