"""Shared training pieces: cosine schedule, resumable training state, loss curve, batches."""

import numpy as np
import pytest
import torch

from rtr_training.checkpoint import (
    TrainingState,
    TrainingStateError,
    load_training_state,
    save_training_state,
    state_path,
)
from rtr_training.loss_curve import plot_loss_curves
from rtr_training.progress import shuffled_batches
from rtr_training.schedule import CosineSchedule


def test_cosine_schedule_warms_up_then_decays_to_the_floor():
    s = CosineSchedule(base_lr=1e-3, total_steps=1000, warmup_steps=100, final_fraction=0.1)
    lrs = np.array([s.lr(k) for k in range(1000)])
    assert lrs[0] == pytest.approx(1e-5) and lrs[99] == pytest.approx(1e-3)
    assert np.all(np.diff(lrs[:100]) > 0) and np.all(np.diff(lrs[100:]) <= 0)
    assert s.lr(550) == pytest.approx(1e-4 + 0.9e-3 * 0.5)
    assert s.lr(1000) == pytest.approx(1e-4)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    assert s.apply(opt, 100) == opt.param_groups[0]['lr'] == pytest.approx(1e-3)


def _model_and_optimizer(seed):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model(torch.ones(4, 3)).sum().backward()
    opt.step()
    return model, opt


def test_training_state_round_trip_and_mismatch(tmp_path):
    assert state_path(tmp_path / 'vae.pt') == tmp_path / 'vae.state.pt'
    model, opt = _model_and_optimizer(0)
    path = tmp_path / 'run.state.pt'
    save_training_state(path, model, opt, TrainingState(7, {'loss': [1.0, 0.5]}, {'k': 'v'}))
    other, other_opt = _model_and_optimizer(1)
    state = load_training_state(path, other, other_opt)
    assert (state.step, state.history, state.extra) == (7, {'loss': [1.0, 0.5]}, {'k': 'v'})
    for a, b in zip(model.parameters(), other.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert other_opt.state_dict()['state'][0]['step'] == 1
    wider = torch.nn.Linear(3, 5)
    with pytest.raises(TrainingStateError, match='does not match this model'):
        load_training_state(path, wider, torch.optim.AdamW(wider.parameters()))
    with pytest.raises(TrainingStateError, match='no such training state'):
        load_training_state(tmp_path / 'none.pt', model, opt)


def test_loss_curve_is_a_png(tmp_path):
    path = tmp_path / 'loss.png'
    plot_loss_curves(path, {'train': ([1, 2, 3], [1.0, 0.5, 0.2]),
                            'validation': ([1, 2, 3], [1.1, 0.6, 0.3])})
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert [p.name for p in tmp_path.iterdir()] == ['loss.png']


def test_every_index_once_per_pass():
    batches = shuffled_batches(10, 5, seed=0)
    first_pass = np.concatenate([next(batches), next(batches)])
    assert sorted(first_pass) == list(range(10))
    assert len(next(batches)) == 5
