"""Diffusion policies on small tensors: shapes, interpolation, RTC guidance, checkpoints."""

import dataclasses

import numpy as np
import pytest
import torch

from rtr_core.policy import (
    Observation,
    ObservationContract,
    Policy,
    PolicyCheckpointError,
    PolicyConfig,
    PolicyConfigError,
    PolicyInputError,
    RTCContext,
    prefix_weights,
)
from rtr_core.policy.checkpoint import POLICY_CHECKPOINT, read_checkpoint
from rtr_core.policy.interpolation import upsampling_matrix
from rtr_core.threads import torch_threads
from rtr_core.vae import ActionVAE, MinMaxNormaliser, VAEConfig

J = 3


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Two threads on two shared cores can stall torch for seconds (machine.md)."""
    with torch_threads(1):
        yield

SMALL = dict(down_dims=(16, 32), image_channels=(8, 16), image_keypoints=4, vector_features=8,
             step_embed_dim=16, horizon=16, num_inference_steps=5)


def _contract(**kw):
    return ObservationContract(**kw).with_joint_names([f'j{i}' for i in range(J)])


def _smooth_windows(n, rng):
    t = np.linspace(0, 1, 16)[None, :, None]
    freq, phase = rng.uniform(0.2, 1.5, (n, 1, J)), rng.uniform(0, 2 * np.pi, (n, 1, J))
    return 0.9 * np.sin(2 * np.pi * freq * t + phase)


def _fit(vae, steps=400):
    """A few Adam steps on smooth windows: enough for a decoder that responds to its latent."""
    rng = np.random.default_rng(0)
    x = torch.as_tensor(_smooth_windows(256, rng), dtype=torch.float32)
    opt = torch.optim.Adam(vae.net.parameters(), lr=3e-3)
    vae.net.train().requires_grad_(True)
    for _ in range(steps):
        recon, _, _ = vae.net(x)
        loss = (recon - x).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    vae.net.eval().requires_grad_(False)
    return vae


_VAES = {}


def _vae(seed=0):
    if seed not in _VAES:
        torch.manual_seed(seed)
        _VAES[seed] = _fit(ActionVAE(
            VAEConfig(horizon=16, action_dim=J, hidden_channels=16, latent_channels=4),
            MinMaxNormaliser(-np.ones(J), np.ones(J))))
    return _VAES[seed]


def _normalisers():
    return {'action': MinMaxNormaliser(-np.ones(J), np.ones(J)),
            'native': MinMaxNormaliser.fit(
                _vae().encode(_smooth_windows(256, np.random.default_rng(1)))),
            'joint_positions': MinMaxNormaliser(-np.ones(J), np.ones(J)),
            'wrench': MinMaxNormaliser(-10 * np.ones(6), 10 * np.ones(6))}


def _policy(name='latent_diffusion', seed=0, contract=None, **kw):
    vae = _vae()
    torch.manual_seed(seed)
    config = PolicyConfig(name=name, **{**SMALL, **kw})
    return Policy(config, contract or _contract(image=dataclasses.replace(
        ObservationContract().image, height=32, width=32)), _normalisers(), vae)


def _obs(stamp=2.0, size=32):
    rng = np.random.default_rng(1)
    return Observation(stamp=stamp, joint_positions=rng.uniform(-1, 1, J),
                       image=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
                       wrench=rng.normal(size=6))


@pytest.mark.parametrize('name, kw, steps, dt, latent', [
    ('latent_diffusion', {}, 16, 1 / 60, (4, 4 * J)),  # per joint: 4 channels per joint
    ('action_diffusion', {}, 16, 1 / 60, None),
    ('action_diffusion', {'action_rate_hz': 15.0}, 4, 1 / 15, None),
    ('action_diffusion', {'action_rate_hz': 15.0, 'interpolation': 'cubic'}, 13, 1 / 60, None),
])
def test_predict_gives_a_chunk_at_the_policy_rate(name, kw, steps, dt, latent):
    policy = _policy(name, **kw)
    chunk = policy.predict(_obs(), seed=0)
    assert chunk.positions.shape == (steps, J)
    assert chunk.dt == pytest.approx(dt)
    assert chunk.start_time == pytest.approx(2.0 + 1 / 60)
    assert (None if chunk.latent is None else chunk.latent.shape) == latent
    assert chunk.inference_duration > 0
    assert chunk.policy_name == name and len(chunk.policy_version) == 16
    assert np.all(np.isfinite(chunk.positions))


def test_upsampling_matrices_pass_through_the_samples():
    t = np.linspace(0, 3, 7)
    samples = np.stack([np.sin(t), t], axis=1)
    fine_t = np.linspace(0, 3, 25)
    for method in ('linear', 'cubic'):
        m = upsampling_matrix(7, 4, method)
        assert m.shape == (25, 7)
        up = m @ samples
        np.testing.assert_allclose(up[::4], samples, atol=1e-12)
        np.testing.assert_allclose(up[:, 1], fine_t, atol=1e-12)  # exact on a straight line
    err = {m: np.abs(upsampling_matrix(7, 4, m) @ samples[:, 0] - np.sin(fine_t)).max()
           for m in ('linear', 'cubic')}
    assert err['cubic'] < 0.5 * err['linear']


def test_prefix_weights_follow_the_rtc_schedules():
    np.testing.assert_allclose(prefix_weights(2, 5, 8, 'linear'),
                               [1, 1, 0.75, 0.5, 0.25, 0, 0, 0])
    w = prefix_weights(2, 5, 8, 'exp')
    assert w[:2].tolist() == [1, 1] and np.all(np.diff(w[1:6]) < 0) and w[5:].sum() == 0
    assert prefix_weights(3, 6, 8, 'zeros').tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    assert prefix_weights(3, 6, 8, 'ones').tolist() == [1, 1, 1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize('name, kw', [('action_diffusion', {}),
                                      ('action_diffusion', {'action_rate_hz': 15.0,
                                                            'interpolation': 'linear'})])
def test_rtc_guidance_pulls_the_prefix_toward_the_previous_chunk(name, kw):
    # untrained denoiser; the latent policy is checked trained, in rtr_training/test
    policy = _policy(name, rtc_execution_horizon=8, **kw)
    free = policy.predict(_obs(), seed=3).positions
    remainder = 0.4 * free[:12] + np.linspace(-0.2, 0.2, J)  # a reachable previous plan
    guided = policy.predict(_obs(), rtc=RTCContext(remainder, inference_delay=4), seed=3)
    # the steps executed during inference (mask weight 1): 4 at 60 Hz, 1 native 15 Hz sample
    prefix = [0] if kw else [0, 1, 2, 3]
    before = np.abs(free[prefix] - remainder[prefix]).mean()
    after = np.abs(guided.positions[prefix] - remainder[prefix]).mean()
    assert after < 0.5 * before


def test_rtc_context_from_a_previous_chunk_resamples_by_time():
    policy = _policy('action_diffusion')
    prev = policy.predict(_obs(stamp=1.0), seed=0)
    ctx = RTCContext.from_chunk(prev, start_time=1.0 + 5 / 60, dt=1 / 60, inference_delay=3)
    np.testing.assert_allclose(ctx.remainder, prev.positions[4:], atol=1e-9)
    assert ctx.inference_delay == 3


def test_checkpoint_round_trip_gives_identical_chunks(tmp_path):
    vae_path = tmp_path / 'vae.pt'
    policy = _policy('latent_diffusion')
    policy.vae.save(vae_path)
    policy.save(tmp_path / 'policy.pt', vae_path='vae.pt', step=7)
    loaded = Policy.load(tmp_path / 'policy.pt')  # finds the VAE beside the checkpoint
    a, b = policy.predict(_obs(), seed=5), loaded.predict(_obs(), seed=5)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.latent, b.latent)
    assert loaded.version == policy.version and loaded.training == {'step': 7}
    assert loaded.contract == policy.contract and loaded.config == policy.config


def test_half_precision_copy_is_half_the_size_and_predicts_the_same_chunks(tmp_path):
    """What the committed demo checkpoints use: float16 weights, float32 model after loading."""
    policy = _policy('action_diffusion')
    policy.save(tmp_path / 'full.pt', step=3)
    POLICY_CHECKPOINT.copy(tmp_path / 'full.pt', tmp_path / 'half.pt', half=True)
    full, half = (tmp_path / 'full.pt').stat().st_size, (tmp_path / 'half.pt').stat().st_size
    assert half < 0.6 * full
    loaded = Policy.load(tmp_path / 'half.pt')
    for name, value in loaded.model.state_dict().items():
        assert value.dtype == policy.model.state_dict()[name].dtype
        np.testing.assert_array_equal(value.numpy(),
                                      policy.model.state_dict()[name].half().float().numpy())
    assert loaded.training == {'step': 3} and loaded.version != policy.version
    a, b = policy.predict(_obs(), seed=5), loaded.predict(_obs(), seed=5)
    span = np.ptp(a.positions)
    assert np.abs(a.positions - b.positions).max() < 0.01 * span
    data = read_checkpoint(tmp_path / 'full.pt')
    del data['state_dict']
    torch.save(data, tmp_path / 'no_weights.pt')
    with pytest.raises(PolicyCheckpointError, match="no_weights.pt.*lacks the field 'state_dict'"):
        POLICY_CHECKPOINT.copy(tmp_path / 'no_weights.pt', tmp_path / 'x.pt', half=True)
    assert not (tmp_path / 'x.pt').exists()


def test_loading_with_another_vae_fails_naming_both_hashes(tmp_path):
    policy = _policy('latent_diffusion')
    policy.save(tmp_path / 'policy.pt')
    other = _vae(seed=1)
    with pytest.raises(PolicyCheckpointError, match=f'{policy.vae.hash}.*{other.hash}'):
        Policy.load(tmp_path / 'policy.pt', vae=other)
    with pytest.raises(PolicyCheckpointError, match='pass it with --vae'):
        Policy.load(tmp_path / 'policy.pt')


def test_checkpoint_of_another_format_version_is_refused(tmp_path):
    policy = _policy('action_diffusion')
    policy.save(tmp_path / 'p.pt')
    data = read_checkpoint(tmp_path / 'p.pt')
    data['version'] = 99
    torch.save(data, tmp_path / 'future.pt')
    with pytest.raises(PolicyCheckpointError, match='format version 99'):
        Policy.load(tmp_path / 'future.pt')
    torch.save({'format': 'rtr.action_vae'}, tmp_path / 'vae.pt')
    with pytest.raises(PolicyCheckpointError, match='not an rtr policy checkpoint'):
        Policy.load(tmp_path / 'vae.pt')


def test_observations_that_break_the_contract_fail_clearly():
    policy = _policy('action_diffusion')
    with pytest.raises(PolicyInputError, match=r'observation.image: expected \(32, 32, 3\)'):
        policy.predict(dataclasses.replace(_obs(), image=np.zeros((96, 96, 3), np.uint8)))
    with pytest.raises(PolicyInputError, match='observation.wrench'):
        policy.predict(dataclasses.replace(_obs(), wrench=None))
    without_wrench = _policy('action_diffusion', contract=_contract(
        wrench=None, image=dataclasses.replace(ObservationContract().image, height=32,
                                               width=32)))
    assert without_wrench.predict(dataclasses.replace(_obs(), wrench=None)).horizon == 16


def test_bad_configs_name_the_field():
    with pytest.raises(PolicyConfigError, match='name'):
        PolicyConfig(name='act')
    with pytest.raises(PolicyConfigError, match='action_rate_hz'):
        _policy('action_diffusion', action_rate_hz=25.0)
    with pytest.raises(PolicyCheckpointError, match='horizon 16 .policy: 32'):
        _policy('latent_diffusion', horizon=32)
