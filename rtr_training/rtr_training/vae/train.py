"""The VAE training loop: windows -> AdamW + cosine -> atomic checkpoints -> a report."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rtr_core.atomic import write_text
from rtr_core.vae import ActionVAE, MinMaxNormaliser, VAEConfig

from ..checkpoint import (
    TrainingState,
    TrainingStateError,
    load_training_state,
    save_training_state,
    state_path,
)
from ..data import DataError, Trajectory, WindowSet, load_trajectories, split_by_trajectory
from ..loss_curve import plot_loss_curves
from ..progress import progress_bar, shuffled_batches
from ..schedule import CosineSchedule
from .config import VAETrainingConfig
from .loss import vae_loss
from .report import ReconstructionReport, reconstruction_report


@dataclass(frozen=True)
class VAETrainingResult:
    vae: ActionVAE
    report: ReconstructionReport
    history: dict[str, list[float]]
    checkpoint: Path
    state: Path
    loss_curve: Path
    report_path: Path
    steps: int
    seconds: float  # wall time of this call's training steps


def output_paths(out: str | Path) -> tuple[Path, Path, Path, Path]:
    """(checkpoint, training state, loss-curve PNG, report JSON) for ``--out``."""
    out = Path(out)
    return (out, state_path(out), out.with_name(f'{out.stem}.loss.png'),
            out.with_name(f'{out.stem}.report.json'))


def unlearned_path(out: str | Path) -> Path:
    """Where a model that failed the report's check goes instead of ``out``."""
    out = Path(out)
    return out.with_name(f'{out.stem}.unlearned{out.suffix}')


def _check_data(train: Sequence[Trajectory], val: Sequence[Trajectory], dt: float) -> None:
    for traj in [*train, *val]:
        if abs(traj.dt - dt) > 1e-9:
            raise DataError(f'{traj.source}: sampled every {traj.dt:.6g} s, the VAE expects '
                            f'{dt:.6g} s (load it with load_trajectories(dt=...))')


def train_vae(train: Sequence[Trajectory], val: Sequence[Trajectory], out: str | Path,
              vae_config: VAEConfig | None = None, config: VAETrainingConfig | None = None,
              resume: bool = False, require_learned: bool = False) -> VAETrainingResult:
    """Train an :class:`ActionVAE` on ``train`` and report on ``val`` (whole trajectories).

    Writes ``out`` (the VAE checkpoint), its training state (``<out>.state.pt``), a loss
    curve (``<out>.loss.png``) and the final report (``<out>.report.json``), each
    atomically after every evaluation. ``resume`` continues from the training state,
    keeping the normaliser and model config it was started with.

    The report says whether every action dimension was learned (``report.learned``, see
    :class:`ReconstructionReport`). With ``require_learned`` a model that was not is moved
    to ``<out stem>.unlearned.pt`` (``result.checkpoint``) so that nothing broken is left
    at ``out``; the training state stays for ``resume``.
    """
    config = config or VAETrainingConfig()
    ckpt, state_file, png, report_file = output_paths(out)
    if config.threads:
        torch.set_num_threads(config.threads)
    normaliser = None
    if resume:
        previous = _resume_header(state_file)
        vae_config = VAEConfig.from_dict(previous['vae_config'])
        normaliser = MinMaxNormaliser.from_dict(previous['normaliser'])
        if vae_config.action_dim != train[0].dim:
            raise TrainingStateError(f'{state_file}: trained on {vae_config.action_dim} action '
                                     f'dims, the data has {train[0].dim}')
    else:
        vae_config = dataclasses.replace(vae_config or VAEConfig(), action_dim=train[0].dim)
    _check_data(train, val, vae_config.dt)
    train_set = WindowSet(train, vae_config.horizon, config.stride)
    val_set = WindowSet(val, vae_config.horizon, config.stride)
    normaliser = normaliser or MinMaxNormaliser.fit(train_set.data)

    torch.manual_seed(config.seed)  # the initial weights depend on the seed only
    vae = ActionVAE(vae_config, normaliser, train[0].names)
    net = vae.net
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    state = load_training_state(state_file, net, optimizer) if resume else TrainingState()
    net.requires_grad_(True)
    state.extra.update(vae_config=vae.config.to_dict(), normaliser=normaliser.to_dict())

    data = torch.from_numpy(normaliser.normalise(train_set.data).astype(np.float32))
    index = torch.from_numpy(train_set.index)
    every = max(1, len(val_set) // config.max_val_windows)
    val_x = torch.from_numpy(
        normaliser.normalise(val_set.windows(slice(None, None, every))).astype(np.float32))
    schedule = CosineSchedule(config.lr, config.steps, config.warmup_steps)
    batches = shuffled_batches(len(train_set), config.batch_size, config.seed + state.step)
    torch.manual_seed(config.seed + state.step)
    history = state.history or {'step': [], 'train_l1': [], 'val_l1': [], 'lr': []}

    start, t0, running = state.step, time.perf_counter(), []
    bar = progress_bar(config.steps, initial=start, desc='train vae', enabled=config.progress)
    for step in range(start, config.steps):
        net.train()
        lr = schedule.apply(optimizer, step)
        x = data[index[torch.from_numpy(next(batches))]]
        recon, mean, logvar = net(x)
        loss, l1 = vae_loss(recon, x, mean, logvar, config.kl_weight, config.jerk_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        running.append(l1.item())
        bar.update(1)
        if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
            net.eval()
            with torch.inference_mode():
                val_l1 = float((net.decode(net.encode_mean(val_x)) - val_x).abs().mean())
            for key, value in (('step', step + 1), ('train_l1', float(np.mean(running))),
                               ('val_l1', val_l1), ('lr', lr)):
                history[key].append(value)
            running = []
            bar.set_postfix(train=f'{history["train_l1"][-1]:.4f}', val=f'{val_l1:.4f}')
            state.step, state.history = step + 1, history
            vae.save(ckpt)
            save_training_state(state_file, net, optimizer, state)
            plot_loss_curves(png, {'train L1': (history['step'], history['train_l1']),
                                   'validation L1': (history['step'], history['val_l1'])},
                             title='action VAE (normalised units)', ylabel='L1')
    bar.close()
    seconds = time.perf_counter() - t0
    optimizer.zero_grad(set_to_none=True)
    net.eval().requires_grad_(False)
    report = reconstruction_report(vae, val_set.windows(), config.max_baseline_ratio)
    if require_learned:  # one of the two names, never a stale other
        (unlearned_path(ckpt) if report.learned else ckpt).unlink(missing_ok=True)
        ckpt = ckpt if report.learned else unlearned_path(ckpt)
    vae.save(ckpt, report=report.to_dict())
    write_text(report_file, json.dumps({'vae_hash': vae.hash, 'steps': config.steps,
                                        'checkpoint': str(ckpt), **report.to_dict()},
                                       indent=2) + '\n')
    return VAETrainingResult(vae, report, history, ckpt, state_file, png, report_file,
                             config.steps, seconds)


def _resume_header(path: Path) -> dict:
    """The configs a training state was started with (read before building the model)."""
    if not path.is_file():
        raise TrainingStateError(f'{path}: no training state to resume from (train without '
                                 f'--resume first)')
    try:
        extra = torch.load(path, map_location='cpu', weights_only=True)['extra']
        return {'vae_config': extra['vae_config'], 'normaliser': extra['normaliser']}
    except Exception as exc:
        raise TrainingStateError(f'{path}: cannot read the configs to resume: {exc}') from exc


def train_vae_from_paths(paths: Sequence[str | Path], out: str | Path,
                         vae_config: VAEConfig | None = None,
                         config: VAETrainingConfig | None = None, topic: str | None = None,
                         joints: Sequence[str] | None = None, resample: str = 'cubic',
                         resume: bool = False, require_learned: bool = True
                         ) -> VAETrainingResult:
    """``rtr train vae``: load bags/.npz files at the VAE's rate, split by trajectory, train
    (a model that did not learn every dimension goes to ``<out stem>.unlearned.pt``)."""
    vae_config = vae_config or VAEConfig()
    config = config or VAETrainingConfig()
    trajectories = load_trajectories(paths, dt=vae_config.dt, topic=topic, joints=joints,
                                     method=resample)
    train, val = split_by_trajectory(trajectories, config.val_fraction, config.seed)
    return train_vae(train, val, out, vae_config, config, resume=resume,
                     require_learned=require_learned)
