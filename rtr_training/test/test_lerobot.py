"""LeRobot datasets into training: datasets written by LeRobot's own dataset code
(``LeRobotDataset.create`` + ``add_frame`` + ``save_episode`` + ``finalize``, lerobot 0.4.4,
codebase v3.0) are read as trajectories at their fps, resampled to the VAE's rate, and
``rtr train vae`` on one gives the VAE it gives on the same trajectories from a .npz file.

lerobot 0.4.4 writes only v3.0. The v2.1 dataset here is laid out by this test from the
LeRobot-written one (one parquet file per episode, meta/episodes.jsonl, tasks.jsonl,
episodes_stats.jsonl, info.json v2.1, as LeRobot's v2.1 -> v3.0 converter documents and
reads) and checked by running that converter (lerobot.datasets.v30.convert_dataset_v21_to_v30)
on it: the converter accepts it, and both it and the converted v3.0 copy read back the same.

lerobot is installed without its dependencies (they would pull torchvision and another torch);
see the ``lerobot_dataset`` fixture in conftest.py for how it is imported without torchvision.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rtr_training.data import load_trajectories
from rtr_training.data.lasa import lasa_trajectories
from rtr_training.data.lerobot import read_lerobot_actions
from rtr_training.data.trajectory import DataError

FPS = 30
SHAPES = ('Angle', 'CShape', 'JShape', 'Worm')


@pytest.fixture(scope='module')
def episodes():
    """Real handwriting (LASA) at the dataset's fps, as float32 (LeRobot's dtype)."""
    return [t.positions.astype(np.float32)
            for t in lasa_trajectories(SHAPES, rate=FPS, demos=range(3))]


@pytest.fixture(scope='module')
def v30(tmp_path_factory, episodes, lerobot_dataset):
    module = lerobot_dataset
    root = tmp_path_factory.mktemp('lerobot') / 'lasa'
    features = {'action': {'dtype': 'float32', 'shape': (2,), 'names': ['x', 'y']},
                'observation.state': {'dtype': 'float32', 'shape': (2,), 'names': ['x', 'y']}}
    ds = module.LeRobotDataset.create('rtr/lasa', FPS, features=features, root=root,
                                      use_videos=False)
    for xy in episodes:
        for row in xy:
            ds.add_frame({'action': row, 'observation.state': row + 1.0, 'task': 'draw'})
        ds.save_episode()
    ds.finalize()
    return root


@pytest.fixture(scope='module')
def npz(tmp_path_factory, episodes):
    path = tmp_path_factory.mktemp('npz') / 'lasa.npz'
    np.savez(path, dt=1.0 / FPS, names=np.array(['x', 'y']),
             **{f'episode_{i:06d}': xy for i, xy in enumerate(episodes)})
    return path


def test_a_dataset_written_by_lerobot_reads_back_per_episode(v30, episodes):
    info = json.loads((v30 / 'meta' / 'info.json').read_text())
    assert info['codebase_version'] == 'v3.0'
    fps, read, names, feature = read_lerobot_actions(v30)
    assert fps == FPS and feature == 'action' and names == ('x', 'y')
    assert len(read) == len(episodes)
    for (stamps, xy), original in zip(read.values(), episodes, strict=True):
        np.testing.assert_array_equal(xy, original)
        np.testing.assert_allclose(stamps, np.arange(len(xy)) / FPS, atol=1e-6)
    _, state, _, _ = read_lerobot_actions(v30, 'observation.state')
    np.testing.assert_array_equal(next(iter(state.values()))[1], episodes[0] + 1.0)


def test_trajectories_are_resampled_like_the_same_npz(v30, npz):
    ours = load_trajectories([v30], dt=1 / 60)
    reference = load_trajectories([npz], dt=1 / 60)
    assert len(ours) == len(reference) and ours[0].names == ('x', 'y')
    for a, b in zip(ours, reference, strict=True):
        assert a.dt == b.dt and a.length == b.length  # 30 fps -> 60 Hz: 2T - 1 samples
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-12)
    (only_y,) = {t.names for t in load_trajectories([v30], dt=1 / 60, joints=['y'])}
    assert only_y == ('y',)
    with pytest.raises(DataError, match='no feature .*velocity.*numeric features: action, '
                       'observation.state'):
        load_trajectories([v30], topic='velocity')


@pytest.mark.slow  # two VAE trainings of 150 steps: ~30 s of CPU
def test_rtr_train_vae_on_lerobot_matches_npz(v30, npz, tmp_path):
    """The same CLI, the same trajectories: the same VAE quality (validation MAE per
    dimension and jerk ratio)."""
    from rtr_bringup.cli.main import main

    reports = {}
    for name, data in (('lerobot', v30), ('npz', npz)):
        out = tmp_path / f'{name}.pt'
        assert main(['train', 'vae', '--data', str(data), '--out', str(out), '--steps', '150',
                     '--eval-every', '150', '--batch-size', '64', '--lr', '0.003',
                     '--warmup-steps', '30', '--no-progress']) == 0
        reports[name] = json.loads((tmp_path / f'{name}.report.json').read_text())
    a, b = reports['lerobot'], reports['npz']
    print('VAE validation MAE (m): lerobot', a['mae'], 'npz', b['mae'])
    np.testing.assert_allclose(a['mae'], b['mae'], rtol=0.02)
    assert abs(a['jerk_ratio'] - b['jerk_ratio']) <= 0.02 * b['jerk_ratio']


def _as_v21(v30: Path, root: Path) -> Path:
    """The LeRobot-written dataset in the v2.1 layout (one parquet file per episode)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root.mkdir(parents=True)
    info = json.loads((v30 / 'meta' / 'info.json').read_text())
    table = pq.read_table(sorted((v30 / 'data').rglob('*.parquet'))[0])
    (root / 'meta').mkdir()
    episodes, stats = [], []
    for e in sorted(set(table.column('episode_index').to_pylist())):
        rows = table.filter(pc.equal(table.column('episode_index'), e))
        path = root / 'data' / 'chunk-000' / f'episode_{e:06d}.parquet'
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, path)
        episodes.append({'episode_index': e, 'tasks': ['draw'], 'length': rows.num_rows})
        action = np.asarray(rows.column('action').to_pylist())
        stats.append({'episode_index': e, 'stats': {'action': {
            'min': action.min(0).tolist(), 'max': action.max(0).tolist(),
            'mean': action.mean(0).tolist(), 'std': action.std(0).tolist(),
            'count': [len(action)]}}})
    for name, lines in (('episodes.jsonl', episodes), ('episodes_stats.jsonl', stats),
                        ('tasks.jsonl', [{'task_index': 0, 'task': 'draw'}])):
        (root / 'meta' / name).write_text(''.join(json.dumps(x) + '\n' for x in lines))
    info.update(codebase_version='v2.1', total_chunks=1, chunks_size=1000, total_videos=0,
                data_path='data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet',
                total_tasks=1)
    for key in ('data_files_size_in_mb', 'video_files_size_in_mb'):
        info.pop(key, None)
    (root / 'meta' / 'info.json').write_text(json.dumps(info, indent=2))
    return root


def test_v21_layout_reads_like_v30(v30, tmp_path):
    convert = pytest.importorskip('lerobot.datasets.v30.convert_dataset_v21_to_v30')
    v21 = _as_v21(v30, tmp_path / 'v21')
    converted = tmp_path / 'v21_converted'
    # LeRobot's own v2.1 reader/converter accepts the layout
    convert.validate_local_dataset_version(v21)
    convert.convert_info(v21, converted, 100, 500)
    convert.convert_tasks(v21, converted)
    meta = convert.convert_data(v21, converted, 100)
    convert.convert_episodes_metadata(v21, converted, meta)
    assert json.loads((converted / 'meta' / 'info.json').read_text())['codebase_version'] \
        == 'v3.0'
    a = load_trajectories([v21], dt=1 / 60)
    b = load_trajectories([converted], dt=1 / 60)
    c = load_trajectories([v30], dt=1 / 60)
    for x, y, z in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(x.positions, y.positions)
        np.testing.assert_array_equal(x.positions, z.positions)
    shutil.rmtree(converted)
