"""Training state for resuming: model, optimizer, step and loss history in one atomic file.

The deployable model is saved separately in its own format (e.g. ``ActionVAE.save``); this
file holds what is needed to continue training and nothing a deployment needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from rtr_core.atomic import atomic_path
from rtr_core.errors import RtrError

FORMAT = 'rtr.training_state'
FORMAT_VERSION = 1


class TrainingStateError(RtrError):
    """A training state that cannot be resumed from (names the file and the reason)."""


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
    with atomic_path(path) as tmp:
        torch.save({'format': FORMAT, 'version': FORMAT_VERSION,
                    'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                    'step': state.step, 'history': state.history, 'extra': state.extra}, tmp)


def load_training_state(path: str | Path, model: torch.nn.Module,
                        optimizer: torch.optim.Optimizer) -> TrainingState:
    """Restore ``model`` and ``optimizer`` in place; return step, history and extras."""
    path = Path(path)
    if not path.is_file():
        raise TrainingStateError(f'{path}: no training state to resume from')
    try:
        data = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:
        raise TrainingStateError(f'{path}: unreadable training state: {exc}') from exc
    if not isinstance(data, dict) or data.get('format') != FORMAT:
        raise TrainingStateError(f'{path}: not an rtr training state')
    if data.get('version') != FORMAT_VERSION:
        raise TrainingStateError(f'{path}: training state version {data.get("version")!r}; '
                                 f'this rtr reads version {FORMAT_VERSION}')
    try:
        model.load_state_dict(data['model'])
        optimizer.load_state_dict(data['optimizer'])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingStateError(f'{path}: does not match this model or optimizer (was it '
                                 f'written with another configuration?): {exc}') from exc
    return TrainingState(int(data['step']), dict(data['history']), dict(data['extra']))
