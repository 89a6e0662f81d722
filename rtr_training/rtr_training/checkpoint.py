"""Training state for resuming: model, optimizer, step and loss history in one atomic file.

The deployable model is saved separately in its own format (e.g. ``ActionVAE.save``); this
file holds what is needed to continue training and nothing a deployment needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from rtr_core.checkpoint import CheckpointFormat
from rtr_core.errors import RtrError


class TrainingStateError(RtrError):
    """A training state that cannot be resumed from (names the file and the reason)."""


TRAINING_STATE = CheckpointFormat('rtr.training_state', 1, 'training state',
                                  ('model', 'optimizer', 'step', 'history', 'extra'),
                                  TrainingStateError)


@dataclass
class TrainingState:
    step: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def state_path(checkpoint: str | Path) -> Path:
    """Where the training state of ``checkpoint`` lives: ``vae.pt`` -> ``vae.state.pt``."""
    p = Path(checkpoint)
    return p.with_name(f'{p.stem}.state{p.suffix or ".pt"}')


def save_training_state(path: str | Path, model: torch.nn.Module,
                        optimizer: torch.optim.Optimizer, state: TrainingState) -> None:
    TRAINING_STATE.write(path, {'model': model.state_dict(),
                                'optimizer': optimizer.state_dict(), 'step': state.step,
                                'history': state.history, 'extra': state.extra})


def load_training_state(path: str | Path, model: torch.nn.Module,
                        optimizer: torch.optim.Optimizer) -> TrainingState:
    """Restore ``model`` and ``optimizer`` in place; return step, history and extras."""
    path = Path(path)
    data = TRAINING_STATE.read(path)
    try:
        model.load_state_dict(data['model'])
        optimizer.load_state_dict(data['optimizer'])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingStateError(f'{path}: does not match this model or optimizer (was it '
                                 f'written with another configuration?): {exc}') from exc
    return TrainingState(int(data['step']), dict(data['history']), dict(data['extra']))
