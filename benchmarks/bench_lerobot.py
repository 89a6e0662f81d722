"""Policy training on LeRobot datasets vs the same demonstrations as rosbag2 recordings:
reading time (first pass and cached) and training steps per second.

Simulated ``write`` demonstrations are recorded as bags, read by the native path, and written
with LeRobot's own code (lerobot 0.4.4) row by row as
the native path aligns them: at 60 fps with the simulator's 96x96 frames (the same training
samples; checked here) and at 30 fps with 480x640 frames (a real camera's size; each frame
is the original scaled up 5x and padded, so fitting it back to 96x96 costs what it costs on
a real dataset), as PNG and as LeRobot's default AV1 video (decoded with PyAV). Each is
then read as ``rtr train policy`` reads it and trained on for the same number of steps.

    .venv/bin/python benchmarks/bench_lerobot.py [--episodes 4] [--steps 40]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np


def _lerobot():
    try:  # these first: they look for torchvision once, at import, and fail on a stand-in
        import datasets  # noqa: F401

        import rtr_core.policy  # noqa: F401
        if 'torchvision' not in sys.modules:  # lerobot imports it; writing never calls it
            stand_in = types.ModuleType('torchvision')
            stand_in.transforms = types.ModuleType('torchvision.transforms')
            sys.modules.update({'torchvision': stand_in,
                                'torchvision.transforms': stand_in.transforms})
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
    except ImportError as exc:
        sys.exit(f'bench_lerobot: needs lerobot 0.4.4 (make setup installs it): {exc}')
    return LeRobotDataset


def _write(root: Path, native, fps: int, every: int, scale: int, pad: int,
           video: bool = False) -> Path:
    names = list(native.joint_names)
    shape = (96 * scale, 96 * scale + 2 * pad, 3)
    features = {
        'observation.image': {'dtype': 'video' if video else 'image', 'shape': shape,
                              'names': ['height', 'width', 'channels']},
        'observation.state': {'dtype': 'float32', 'shape': (len(names),), 'names': names},
        'action': {'dtype': 'float32', 'shape': (len(names),), 'names': names},
    }
    ds = _lerobot().create('rtr/write', fps, features=features, root=root, use_videos=video)
    for ep in native.episodes:
        for k in range(0, ep.length, every):
            img = np.repeat(np.repeat(ep.frames[ep.frame_index[k]], scale, 0), scale, 1)
            ds.add_frame({'observation.image': np.pad(img, ((0, 0), (pad, pad), (0, 0))),
                          'observation.state': ep.joint_positions[k],
                          'action': ep.actions[k], 'task': 'write'})
        ds.save_episode()
    ds.finalize()
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--episodes', type=int, default=4)
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault('MUJOCO_GL', 'egl')
    import torch

    from rtr_core.policy import ObservationContract, PolicyConfig
    from rtr_sim.recording import RecordConfig, record_dataset
    from rtr_training.dataset import PolicyDataset
    from rtr_training.policy import TrainPolicyConfig, train_policy

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix='bench_lerobot_'))
    try:
        record_dataset(work / 'bags', args.episodes, RecordConfig(task='write'), workers=1,
                       progress=False)
        contract = ObservationContract(wrench=None)
        native = PolicyDataset.from_bags([work / 'bags'], contract, 48, work / 'c0')
        sources = {
            'rosbag2 (native)': [work / 'bags'],
            'LeRobot 60 fps, 96x96 PNG': [_write(work / 'lr60', native, 60, 1, 1, 0)],
            'LeRobot 30 fps, 480x640 PNG': [_write(work / 'lr30', native, 30, 2, 5, 80)],
            'LeRobot 30 fps, 480x640 AV1 video': [_write(work / 'lrv', native, 30, 2, 5, 80,
                                                         video=True)],
        }
        config = TrainPolicyConfig(policy=PolicyConfig(name='action_diffusion'),
                                   steps=args.steps, eval_every=args.steps, batch_size=64,
                                   threads=args.threads)
        print(f'{args.episodes} simulated write episodes, {len(native)} samples at 60 Hz; '
              f'camera + joint positions; action_diffusion (default U-Net), batch 64, '
              f'{args.steps} steps, {args.threads} torch thread(s); load average '
              f'{os.getloadavg()[0]:.1f}\n')
        print('| data | frames | first read s | cached read s | samples | training steps/s |')
        print('|---|---|---|---|---|---|')
        for i, (name, data) in enumerate(sources.items()):
            cache = work / f'cache{i}'
            t0 = time.perf_counter()
            ds = PolicyDataset.from_paths(data, contract, 48, cache)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            PolicyDataset.from_paths(data, contract, 48, cache)
            cached = time.perf_counter() - t0
            if '60 fps' in name:
                idx = np.arange(len(native))
                assert len(ds) == len(native)
                assert np.array_equal(ds.windows(idx), native.windows(idx))
                assert np.array_equal(ds.inputs(idx)['image'], native.inputs(idx)['image'])
            lines = []
            train_policy(data, work / f'p{i}.pt', config, contract, cache_dir=cache,
                         progress=False, log=lines.append)
            rate = lines[-1].split(' (')[1].split(' steps/s')[0]
            frames = sum(len(e.frames) for e in ds.episodes)
            print(f'| {name} | {frames} | {first:.1f} | {cached:.2f} | {len(ds)} | {rate} |')
        print('\nsteps/s: as train_policy reports it (its training loop, with the final '
              'evaluation and checkpoint). The 60 fps dataset gives the native samples exactly '
              '(asserted); the 30 fps one is resampled to 60 Hz.')
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
