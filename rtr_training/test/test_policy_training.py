"""Train each policy for a few steps on bags recorded by the simulator, with a VAE trained by
rtr_training.vae: shapes, falling loss, checkpoints that reload to identical chunks, resume,
and RTC guidance on the trained latent policy."""

import dataclasses
import os

import numpy as np
import pytest

from rtr_core.policy import Policy, PolicyConfig, RTCContext
from rtr_core.threads import torch_threads
from rtr_core.vae import VAEConfig
from rtr_training.checkpoint import TrainingStateError, state_path
from rtr_training.data import load_trajectories
from rtr_training.dataset import PolicyDataset
from rtr_training.policy import TrainPolicyConfig, train_policy
from rtr_training.policy.train import loss_curve_path
from rtr_training.vae import VAETrainingConfig, train_vae

# rtc_max_guidance_weight: a high clip makes the pull unmistakable after a short training
# (the default, beta = 10, is the paper's)
SMALL = PolicyConfig(down_dims=(32, 64), image_channels=(8, 16), image_keypoints=8,
                     vector_features=16, step_embed_dim=16, num_inference_steps=5,
                     rtc_max_guidance_weight=50.0)
KINDS = {
    'latent': ({'name': 'latent_diffusion'}, 48, 1 / 60),
    'action60': ({'name': 'action_diffusion'}, 48, 1 / 60),
    'action15_cubic': ({'name': 'action_diffusion', 'action_rate_hz': 15.0,
                        'interpolation': 'cubic'}, 45, 1 / 60),
}


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope='module')
def recorded(tmp_path_factory):
    """Three simulated `write` demonstrations and a VAE trained on them."""
    os.environ.setdefault('MUJOCO_GL', 'egl')  # before MuJoCo is first imported
    from rtr_sim.recording import RecordConfig, record_dataset

    root = tmp_path_factory.mktemp('policy_data')
    record_dataset(root / 'bags', 3, RecordConfig(task='write'), workers=1, progress=False)
    trajs = load_trajectories(sorted((root / 'bags').iterdir()))
    train_vae(trajs[:2], trajs[2:], root / 'vae.pt', VAEConfig(hidden_channels=16),
              VAETrainingConfig(steps=150, eval_every=150, batch_size=64, progress=False))
    return root


def _train(root, out, policy=SMALL, steps=100, **kw):
    config = TrainPolicyConfig(policy=policy, steps=steps, batch_size=32, eval_every=30,
                               warmup_steps=5, lr=2e-3, val_fraction=0.34)
    return train_policy([root / 'bags'], out, config, vae_path=root / 'vae.pt',
                        cache_dir=root / 'cache', progress=False, log=lambda _: None, **kw)


@pytest.fixture(scope='module')
def trained(recorded, tmp_path_factory):
    """Each kind of policy trained once (120 steps), shared by the tests below."""
    root = tmp_path_factory.mktemp('trained')
    cache = {}

    def get(kind):
        if kind not in cache:
            out = root / f'{kind}.pt'
            cache[kind] = out, _train(recorded, out, dataclasses.replace(SMALL, **KINDS[kind][0]),
                                      steps=120)
        return cache[kind]
    return get


@pytest.mark.parametrize('kind', list(KINDS))
def test_training_lowers_the_loss_and_the_checkpoint_reloads(recorded, trained, kind):
    out, policy = trained(kind)
    _, horizon, dt = KINDS[kind]
    history = policy.training['history']
    assert history['train'][-1] < 0.6 * history['train'][0]
    assert history['val'][-1] < history['val'][0]
    assert loss_curve_path(out).stat().st_size > 1000 and state_path(out).is_file()

    ds = PolicyDataset.from_bags([recorded / 'bags'], policy.contract, 48,
                                 cache_dir=recorded / 'cache')
    obs = ds.observation(100)
    chunk = policy.predict(obs, seed=1)
    assert chunk.positions.shape == (horizon, 7) and chunk.dt == pytest.approx(dt)
    loaded = Policy.load(out)  # the VAE is found through the stored relative path
    np.testing.assert_array_equal(loaded.predict(obs, seed=1).positions, chunk.positions)
    assert loaded.version == policy.version


def test_resume_continues_from_the_training_state(recorded, tmp_path):
    out = tmp_path / 'policy.pt'
    _train(recorded, out, steps=30)
    resumed = _train(recorded, out, steps=60, resume=True)
    steps = resumed.training['history']['step']
    assert steps[0] == 25 and steps[-1] == 60 and resumed.training['step'] == 60
    assert len(resumed.training['history']['val']) == 2  # one evaluation before the stop
    with pytest.raises(TrainingStateError, match='another training configuration'):
        _train(recorded, out, steps=60, policy=dataclasses.replace(SMALL, kernel_size=3),
               resume=True)


@pytest.mark.parametrize('kind', ['latent', 'action60'])
def test_rtc_guidance_pulls_a_trained_policy_toward_the_previous_chunk(recorded, trained, kind):
    _, policy = trained(kind)
    ds = PolicyDataset.from_bags([recorded / 'bags'], policy.contract, 48,
                                 cache_dir=recorded / 'cache')
    obs = ds.observation(150)
    # the previous chunk, planned 12 ticks earlier; 6 more ticks pass during inference
    previous = policy.predict(ds.observation(138), seed=7)
    rtc = RTCContext.from_chunk(previous, obs.stamp + 1 / 60, 1 / 60, inference_delay=6)
    free = policy.predict(obs, seed=2).positions
    guided = policy.predict(obs, rtc=rtc, seed=2).positions
    before = np.abs(free[:6] - rtc.remainder[:6]).mean()
    after = np.abs(guided[:6] - rtc.remainder[:6]).mean()
    assert after < 0.6 * before, (before, after)


def test_rtr_train_policy_command(recorded, tmp_path):
    from rtr_bringup.cli.main import main

    config = tmp_path / 'small.yaml'
    config.write_text('batch_size: 16\neval_every: 4\npolicy:\n  down_dims: [16, 32]\n'
                      '  image_channels: [8, 16]\n')
    out = tmp_path / 'p15.pt'
    args = ['train', 'policy', '--data', str(recorded / 'bags'), '--policy', 'action_diffusion',
            '--rate', '15', '--interpolation', 'linear', '--config', str(config), '--steps', '4',
            '--cache', str(recorded / 'cache'), '--out', str(out), '--no-progress']
    assert main(args) == 0
    policy = Policy.load(out)
    assert (policy.config.action_rate_hz, policy.config.interpolation) == (15.0, 'linear')
    assert policy.config.down_dims == (16, 32) and policy.training['step'] == 4
    assert main(['train', 'policy', '--data', str(recorded / 'bags'), '--out',
                 str(tmp_path / 'x.pt')]) == 2  # latent_diffusion without --vae: one-line error


@pytest.mark.slow
def test_training_runs_unchanged_under_torchrun(recorded, tmp_path):
    """Two CPU processes (gloo) through the standard launcher; rank 0 writes the files."""
    import subprocess
    import sys
    from pathlib import Path

    torchrun = Path(sys.executable).with_name('torchrun')
    out = tmp_path / 'ddp.pt'
    config = tmp_path / 'small.yaml'
    config.write_text('batch_size: 16\neval_every: 3\npolicy:\n  down_dims: [16, 32]\n'
                      '  image_channels: [8, 16]\n')
    cmd = [str(torchrun), '--nproc_per_node=2', '-m', 'rtr_bringup.cli.main', 'train',
           'policy', '--data', str(recorded / 'bags'), '--policy', 'action_diffusion',
           '--config', str(config), '--steps', '6', '--threads', '1', '--cache',
           str(recorded / 'cache'), '--out', str(out), '--no-progress']
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count('6 steps in') == 1  # only rank 0 reports and writes
    assert Policy.load(out).training['step'] == 6
