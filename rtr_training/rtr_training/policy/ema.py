"""Exponential moving average of the weights: the averaged model is the one deployed."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Decay warms up as min(decay, (1 + step) / (10 + step)) so that a short run is not
    dominated by its random initial weights."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))
        for avg, new in zip(self.model.state_dict().values(), model.state_dict().values(),
                            strict=True):
            if avg.dtype.is_floating_point:
                avg.mul_(d).add_(new.detach(), alpha=1 - d)
            else:
                avg.copy_(new)
