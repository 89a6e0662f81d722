"""The policy training loop: bags or LeRobot datasets -> normalisers -> DDPM
noise-prediction training with EMA.

Writes three files beside ``out``: the deployable policy checkpoint (EMA weights; see
``rtr_core.policy.checkpoint``), the training state for ``--resume`` (``<out>.state.pt``) and
the loss curve (``<out>.loss.png``), all atomically and at every evaluation.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from rtr_core.config import to_dict
from rtr_core.policy import ObservationContract, Policy
from rtr_core.policy.representation import encode_windows
from rtr_core.vae import ActionVAE, MinMaxNormaliser

from ..checkpoint import (
    TrainingState,
    TrainingStateError,
    load_training_state,
    save_training_state,
    state_path,
)
from ..data import DataError, split_by_trajectory
from ..dataset import LeRobotMapping, PolicyDataset
from ..loss_curve import plot_loss_curves
from ..progress import progress_bar, shuffled_batches
from ..schedule import CosineSchedule
from . import distributed
from .config import TrainPolicyConfig
from .ema import EMA

VAL_SAMPLES = 512


def loss_curve_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(f'{out.stem}.loss.png')


def _native_targets(config: TrainPolicyConfig, contract, vae, windows: np.ndarray):
    if config.policy.name == 'latent_diffusion':
        return encode_windows(vae, windows)
    return windows[:, ::config.policy.rate_factor(contract.control_rate_hz)]


def _normalisers(dataset: PolicyDataset, native: np.ndarray, train: np.ndarray):
    rows = dataset.tick_rows[train]
    out = {'action': MinMaxNormaliser.fit(dataset.windows(train)),
           'native': MinMaxNormaliser.fit(native[train])}
    if dataset.joint_positions is not None:
        out['joint_positions'] = MinMaxNormaliser.fit(dataset.joint_positions[rows])
    if dataset.wrench is not None:
        out['wrench'] = MinMaxNormaliser.fit(dataset.wrench[rows])
    return out


def _shift(images: np.ndarray, pixels: int, rng: np.random.Generator) -> np.ndarray:
    """Random-shift augmentation (diffusion_policy's crop): pad by replication, crop back."""
    if pixels <= 0:
        return images
    b, h, w, _ = images.shape
    padded = np.pad(images, ((0, 0), (pixels, pixels), (pixels, pixels), (0, 0)), mode='edge')
    dy, dx = rng.integers(0, 2 * pixels + 1, (2, b))
    return np.stack([padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])


def _split(dataset: PolicyDataset, fraction: float, seed: int):
    episodes = list(range(len(dataset.episodes)))
    if len(episodes) < 2 or fraction <= 0:
        return np.arange(len(dataset)), np.arange(0)
    _, held = split_by_trajectory(episodes, fraction, seed)
    return dataset.split(held)


def train_policy(data: Sequence[str | Path], out: str | Path,
                 config: TrainPolicyConfig | None = None,
                 contract: ObservationContract | None = None,
                 vae_path: str | Path | None = None, cache_dir: str | Path | None = None,
                 resume: bool = False, progress: bool = True,
                 log: Callable[[str], None] = print,
                 lerobot: LeRobotMapping | None = None) -> Policy:
    """Train ``config.policy`` on the bags and LeRobot datasets in ``data`` and write ``out``;
    returns the policy with its EMA weights. ``contract=None``: the default contract, or for
    LeRobot datasets one input per feature ``lerobot`` maps (see
    :meth:`PolicyDataset.from_paths`)."""
    config = config or TrainPolicyConfig()
    out = Path(out)
    ctx = distributed.init()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed + ctx.rank)
    vae = None
    if config.policy.name == 'latent_diffusion':
        if vae_path is None:
            raise DataError('latent_diffusion needs the action VAE checkpoint (--vae)')
        vae = ActionVAE.load(vae_path)
        config = dataclasses.replace(
            config, policy=dataclasses.replace(config.policy, horizon=vae.horizon))
    t0 = time.perf_counter()
    dataset = PolicyDataset.from_paths(data, contract, config.policy.horizon, cache_dir,
                                       lerobot)
    contract = dataset.contract
    train_idx, val_idx = _split(dataset, config.val_fraction, config.seed)
    native = _native_targets(config, contract, vae, dataset.windows()).astype(np.float32)
    normalisers = _normalisers(dataset, native, train_idx)
    policy = Policy(config.policy, contract, normalisers, vae)
    native = torch.from_numpy(normalisers['native'].normalise(native).astype(np.float32))
    log(f'{len(dataset.episodes)} episodes, {len(train_idx)} training and {len(val_idx)} '
        f'validation samples, read in {time.perf_counter() - t0:.1f} s')

    model = policy.model.to(ctx.device).train()
    trained = ctx.wrap(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    schedule = CosineSchedule(config.lr, config.steps, config.warmup_steps)
    ema = EMA(model, config.ema_decay)
    state = TrainingState(history={'step': [], 'train': [], 'val_step': [], 'val': []},
                          extra={'config': to_dict(config), 'contract': contract.to_dict()})
    if resume:
        state = _resume(out, model, optimizer, ema, state)
        log(f'resuming at step {state.step}')
    deploy = Policy(config.policy, contract, normalisers, vae)
    vae_ref = None if vae_path is None else os.path.relpath(Path(vae_path).resolve(),
                                                            out.resolve().parent)
    rng = np.random.default_rng([config.seed, ctx.rank, state.step])
    batches = shuffled_batches(len(train_idx), config.batch_size,
                               int(rng.integers(2**31)))
    val_gen = torch.Generator(device=ctx.device)
    val_pick = val_idx[np.linspace(0, len(val_idx) - 1, min(VAL_SAMPLES, len(val_idx)),
                                   dtype=int)] if len(val_idx) else val_idx
    bar = progress_bar(config.steps, state.step, f'train {config.policy.name}',
                       progress and ctx.is_main)
    running: list[float] = []

    def batch(idx, augment: bool):
        x = dataset.inputs(idx)
        if augment and x['image'] is not None:
            x['image'] = _shift(x['image'], config.image_shift, rng)
        tensors = policy.input_tensors(x['image'], x['joint_positions'], x['wrench'])
        return [native[idx].to(ctx.device)] + [None if t is None else t.to(ctx.device)
                                               for t in tensors]

    def evaluate() -> float | None:
        if not len(val_pick):
            return None
        val_gen.manual_seed(config.seed)
        losses = []
        with torch.no_grad():
            for i in range(0, len(val_pick), 128):
                target, img, jp, wr = batch(val_pick[i:i + 128], augment=False)
                losses.append(float(ema.model.loss(target, img, jp, wr, val_gen)))
        return float(np.mean(losses))

    def checkpoint() -> None:
        val = evaluate()
        if val is not None:
            state.history['val_step'].append(state.step)
            state.history['val'].append(val)
        if not ctx.is_main:
            return
        deploy.load_weights({k: v.cpu() for k, v in ema.model.state_dict().items()})
        deploy.save(out, vae_path=vae_ref, step=state.step, history=state.history)
        state.extra['ema'] = {k: v.cpu() for k, v in ema.model.state_dict().items()}
        save_training_state(state_path(out), model, optimizer, state)
        h = state.history
        plot_loss_curves(loss_curve_path(out),
                         {'train': (h['step'], h['train']),
                          'validation (EMA)': (h['val_step'], h['val'])},
                         title=f'{config.policy.name}: {out.name}', ylabel='noise MSE')

    start, first_step = time.perf_counter(), state.step
    while state.step < config.steps:
        idx = train_idx[next(batches)]
        schedule.apply(optimizer, state.step)
        target, img, jp, wr = batch(idx, augment=True)
        loss = trained(target, img, jp, wr)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        ema.update(model, state.step)
        state.step += 1
        running.append(loss.item())
        if len(running) == 25 or state.step == config.steps:
            state.history['step'].append(state.step)
            state.history['train'].append(float(np.mean(running)))
            bar.set_postfix(loss=f'{np.mean(running):.4f}')
            running.clear()
        bar.update(1)
        if state.step % config.eval_every == 0 or state.step == config.steps:
            checkpoint()
    bar.close()
    ctx.barrier()
    ctx.close()
    if ctx.is_main:
        val = state.history['val'][-1] if state.history['val'] else float('nan')
        seconds = time.perf_counter() - start
        log(f'{config.policy.name}: {state.step} steps in {seconds:.1f} s '
            f'({(state.step - first_step) / max(seconds, 1e-9):.2f} steps/s), validation loss '
            f'{val:.4f}; wrote {out}, {loss_curve_path(out).name}')
    deploy.load_weights({k: v.cpu() for k, v in ema.model.state_dict().items()})
    deploy.training = {'step': state.step, 'history': state.history}
    return deploy


def _resume(out: Path, model, optimizer, ema: EMA, fresh: TrainingState) -> TrainingState:
    path = state_path(out)
    if path.is_file():  # settings first: a clearer error than mismatched weight shapes

        def settings(config: dict) -> dict:  # more steps may be asked for when resuming
            return {k: v for k, v in config.items() if k != 'steps'}

        extra = torch.load(path, map_location='cpu', weights_only=True).get('extra', {})
        if settings(extra.get('config') or {}) != settings(fresh.extra['config']):
            raise TrainingStateError(f'{path}: written with another training configuration; '
                                     f'train with the same settings or without --resume')
        if extra.get('contract') != fresh.extra['contract']:
            raise TrainingStateError(f'{path}: written with another observation contract')
    state = load_training_state(path, model, optimizer)
    ema.model.load_state_dict(state.extra['ema'])
    state.extra.pop('ema')
    return state
