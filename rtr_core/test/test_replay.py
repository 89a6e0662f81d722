"""`rtr eval chunks`: a real rosbag2 stream replayed through every strategy."""

import json

import numpy as np
import pytest

from rtr_bringup.cli.main import main
from rtr_core.bag import BagError
from rtr_core.datasets.lasa import shape_path
from rtr_core.evaluation.chunk_stream import StreamConfig, predicted_stream, write_stream_bag
from rtr_core.evaluation.replay import load_stream

J = tuple(f'joint_{i}' for i in range(1, 8))
MIX = np.random.default_rng(1).normal(0.0, 1.0, (2, 7))


def reference(shape='Sshape', demo=0):
    t, xy = shape_path(shape, demo, size=0.6)
    return t + 100.0, xy @ MIX  # a clock that does not start at zero


@pytest.fixture(scope='module')
def bag(tmp_path_factory):
    t, q = reference()
    stream = predicted_stream(t, q, J, StreamConfig(latency=(0.1, 0.4), error=0.02, seed=3))
    return write_stream_bag(tmp_path_factory.mktemp('stream') / 'chunks', stream, t, q, J)


@pytest.fixture(scope='module')
def vae_ckpt(tmp_path_factory):
    from rtr_core.vae import VAEConfig
    from rtr_training.data import Trajectory
    from rtr_training.vae import VAETrainingConfig, train_vae

    trajs = [Trajectory(reference(s, d)[1], 1 / 60, J, f'{s}/{d}')
             for s in ('Sshape', 'Worm') for d in range(3)]
    out = tmp_path_factory.mktemp('vae') / 'vae.pt'
    train_vae(trajs[:-1], trajs[-1:], out, VAEConfig(hidden_channels=16),
              VAETrainingConfig(steps=100, batch_size=64, eval_every=100, progress=False,
                                threads=1))
    return out


def test_stream_round_trips_through_the_bag(bag):
    t, q = reference()
    stream = load_stream(bag)
    assert stream.joint_names == J
    assert len(stream.chunks) > 5
    arrivals = np.array([c.arrival for c in stream.chunks])
    lat = arrivals - np.array([c.chunk.stamp for c in stream.chunks])
    assert np.all((lat >= 0.1 - 1e-6) & (lat <= 0.4 + 1e-6))
    np.testing.assert_allclose(stream.reference, q)
    np.testing.assert_allclose(stream.reference_t, t, atol=1e-8)


def test_eval_chunks_writes_metrics_plots_and_trajectories(bag, tmp_path, capsys):
    strategies = ['sync', 'naive', 'weighted_average', 'temporal_ensemble', 'crossfade', 'anchor',
                  'naive+anchor', 'rtr']
    out = tmp_path / 'eval'
    # limits wide enough that the safety filter does not hide the seams
    config = tmp_path / 'executor.yaml'
    config.write_text('safety:\n  max_acceleration: 1000.0\n  max_jerk: 1.0e+7\n  max_step: 0.5\n'
                      'boundary:\n  preset: weighted_average\n')
    assert main(['eval', 'chunks', '--bag', str(bag), '--strategy', *strategies,
                 '--out', str(out), '--config', str(config)]) == 0
    assert '| rtr |' in capsys.readouterr().out
    results = json.loads((out / 'metrics.json').read_text())
    assert set(results) == set(strategies)
    md = (out / 'metrics.md').read_text()
    assert all(f'| {s} |' in md for s in strategies)
    for s in strategies:
        data = np.load(out / f'executed_{s}.npz')
        assert data['positions'].shape == (data['t'].size, 7)
        assert tuple(data['joint_names']) == J
        assert np.all(np.diff(data['t']) > 0)
    assert (out / 'overview.png').stat().st_size > 10_000
    assert (out / 'seam_zoom.png').stat().st_size > 10_000
    # the recorded stream's seams: naive jumps, the anchor (alone, named or added) does not,
    # judged against the same in-chunk ticks
    naive, rtr = results['naive']['seam'], results['rtr']['seam']
    assert naive['gap_ratio_mean'] > 3 and rtr['gap_ratio_mean'] < 3, (naive, rtr)
    assert rtr['gap_mean'] < 0.2 * naive['gap_mean'], (naive, rtr)
    assert results['naive+anchor']['seam'] == results['anchor']['seam']
    assert results['anchor']['seam']['jerk_mean'] < 0.2 * results['naive']['seam']['jerk_mean']
    base = {results[s]['seam']['in_chunk_samples'] for s in strategies if s != 'sync'}
    assert len(base) == 1 and base.pop() >= 10
    assert results['rtr']['latency']['observation_to_chunk']['max'] <= 0.4 + 1e-6
    for s in strategies:
        assert results[s]['counters']['chunks_rejected'] == 0


def test_eval_chunks_with_a_vae(bag, vae_ckpt, tmp_path):
    out = tmp_path / 'eval'
    assert main(['eval', 'chunks', '--bag', str(bag), '--vae', str(vae_ckpt),
                 '--strategy', 'rtr_paper', 'rtr_paper+anchor', 'rtr', '--out', str(out)]) == 0
    results = json.loads((out / 'metrics.json').read_text())
    assert results['rtr']['seam']['gap_ratio_mean'] < 3
    paper, anchored = results['rtr_paper']['seam'], results['rtr_paper+anchor']['seam']
    assert anchored['jerk_mean'] < 0.5 * paper['jerk_mean']
    assert results['rtr_paper']['counters']['ticks'] > 100


def test_eval_chunks_errors_are_one_line(bag, tmp_path, capsys):
    assert main(['eval', 'chunks', '--bag', str(tmp_path / 'nope'), '--strategy', 'rtr',
                 '--out', str(tmp_path / 'o')]) == 2
    assert 'no such rosbag2' in capsys.readouterr().err
    assert main(['eval', 'chunks', '--bag', str(bag), '--strategy', 'smooth',
                 '--out', str(tmp_path / 'o')]) == 2
    assert 'unknown smooth' in capsys.readouterr().err
    assert main(['eval', 'chunks', '--bag', str(bag), '--strategy', 'rtr+vae',
                 '--out', str(tmp_path / 'o')]) == 2
    assert 'optionally with +anchor' in capsys.readouterr().err
    assert main(['eval', 'chunks', '--bag', str(bag), '--strategy', 'rtr_paper',
                 '--out', str(tmp_path / 'o')]) == 2
    assert 'needs an action VAE' in capsys.readouterr().err
    bad = tmp_path / 'bad.yaml'
    bad.write_text('safety:\n  max_velocty: 3\n')
    assert main(['eval', 'chunks', '--bag', str(bag), '--strategy', 'rtr', '--config',
                 str(bad), '--out', str(tmp_path / 'o')]) == 2
    assert 'safety.max_velocty' in capsys.readouterr().err
    with pytest.raises(BagError, match='not in the bag'):
        load_stream(bag, chunk_topic='/other')
