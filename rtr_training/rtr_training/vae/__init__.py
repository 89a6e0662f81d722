"""Training of the action VAE (``rtr train vae``)."""

from .config import VAETrainingConfig
from .report import ReconstructionReport, reconstruction_report
from .train import VAETrainingResult, train_vae, train_vae_from_paths

__all__ = [
    'ReconstructionReport',
    'VAETrainingConfig',
    'VAETrainingResult',
    'reconstruction_report',
    'train_vae',
    'train_vae_from_paths',
]
