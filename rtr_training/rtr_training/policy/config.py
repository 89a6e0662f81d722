"""Training hyper-parameters of a policy; defaults are the demo configuration (2 CPU cores)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtr_core.policy import PolicyConfig


@dataclass(frozen=True)
class TrainPolicyConfig:
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    steps: int = 3000
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-6
    warmup_steps: int = 100
    ema_decay: float = 0.995  # reached after a warm-up of the decay itself (see EMA)
    val_fraction: float = 0.1  # whole episodes held out for the validation loss
    eval_every: int = 250  # steps between validation losses, checkpoints and the PNG
    image_shift: int = 4  # random shift augmentation of the camera image, in pixels
    seed: int = 0
    threads: int = 0  # torch threads per process; 0 keeps torch's default
