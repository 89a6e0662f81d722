"""Training of the diffusion policies from recorded bags (``rtr train policy``)."""

from .config import TrainPolicyConfig
from .train import train_policy

__all__ = ['TrainPolicyConfig', 'train_policy']
