"""ActionVAE: shapes, determinism, checkpoint round trip and every load error, and the normaliser
(latent-space refinement through the torch pieces is tested on a trained VAE in rtr_training)."""

import dataclasses

import numpy as np
import pytest
import torch

from rtr_core.errors import RtrError
from rtr_core.vae import (
    FORMAT_VERSION,
    ActionVAE,
    ActionVAENet,
    CheckpointError,
    MinMaxNormaliser,
    VAEConfig,
)

NAMES = tuple(f'joint_{i}' for i in range(1, 8))


def smooth_chunks(n, h=48, d=7, seed=0):
    """Sums of random low-frequency sines: chunks that look like joint motion."""
    rng = np.random.default_rng(seed)
    t = np.arange(h)[None, :, None] / 60.0
    f = rng.uniform(0.2, 1.5, size=(n, 1, d))
    return rng.uniform(-1, 1, (n, 1, d)) + 0.5 * np.sin(2 * np.pi * f * t
                                                         + rng.uniform(0, 6, (n, 1, d)))


@pytest.fixture
def vae():
    torch.manual_seed(0)
    data = smooth_chunks(64)
    return ActionVAE(VAEConfig(), MinMaxNormaliser.fit(data), NAMES)


def test_shapes_single_and_batch(vae):
    x = smooth_chunks(5)
    z = vae.encode(x)
    # the default is per joint: one latent channel per joint (the mixed network: 12 x 8)
    assert z.shape == (5, 12, 7) and vae.latent_shape == (12, 7)
    assert VAEConfig(per_joint=False).latent_shape == (12, 8)
    assert vae.decode(z).shape == (5, 48, 7)
    assert vae.encode(x[0]).shape == (12, 7)
    assert vae.decode(z[0]).shape == (48, 7)
    np.testing.assert_allclose(vae.encode(x[2]), z[2], atol=1e-5)
    np.testing.assert_allclose(vae.reconstruct(x), vae.decode(z), atol=1e-5)
    assert (vae.horizon, vae.action_dim, vae.dt) == (48, 7, pytest.approx(1 / 60))
    assert vae.action_names == NAMES


def test_encode_is_the_deterministic_posterior_mean(vae):
    x = smooth_chunks(3)
    np.testing.assert_array_equal(vae.encode(x), vae.encode(x))
    xt = vae.normalise(torch.as_tensor(x, dtype=torch.float32))
    mean, logvar = vae.net.encode(xt)
    np.testing.assert_allclose(vae.encode(x), mean.detach().numpy(), atol=1e-6)


@pytest.mark.parametrize('downsample', [1, 2, 8, 16])
def test_downsampling_is_configurable(downsample):
    cfg = VAEConfig(horizon=48, action_dim=3, downsample=downsample, decoder='conv')
    vae = ActionVAE(cfg, MinMaxNormaliser(-np.ones(3), np.ones(3)))
    assert vae.encode(np.zeros((48, 3))).shape == (48 // downsample, 3 * cfg.latent_channels)
    assert vae.decode(np.zeros(cfg.latent_shape)).shape == (48, 3)


def test_a_linear_motion_stays_linear_through_the_edges():
    """Point-reflected padding: a constant-velocity signal is continued, not bent flat, at
    both ends of every layer, so an untrained conv stack of linear maps is linear too."""
    from rtr_core.vae.model import Conv, Upsample2

    x = torch.linspace(-1, 1, 12).repeat(1, 3, 1)
    source_index = (np.arange(24) + 0.5) / 2 - 0.5  # -0.25 ... 11.25: beyond both ends
    np.testing.assert_allclose(Upsample2()(x)[0, 0].numpy(), -1 + 2 / 11 * source_index,
                               atol=1e-6)
    conv = Conv(3, 3, 5)
    with torch.no_grad():
        conv.weight.fill_(1 / 15)
        conv.bias.zero_()
    y = conv(x)[0, 0].detach().numpy()
    np.testing.assert_allclose(np.diff(y), np.diff(y)[0], atol=1e-6)


def test_seed_mlp_decoder_has_the_same_interface():
    vae = ActionVAE(VAEConfig(decoder='mlp'), MinMaxNormaliser(-np.ones(7), np.ones(7)))
    assert vae.reconstruct(smooth_chunks(2)).shape == (2, 48, 7)


def test_bad_config_and_input_name_the_field(vae):
    with pytest.raises(RtrError, match='horizon=50: expected a multiple of downsample=4'):
        VAEConfig(horizon=50)
    with pytest.raises(RtrError, match='decoder'):
        VAEConfig(decoder='transformer')
    with pytest.raises(RtrError, match='downsample=3'):
        VAEConfig(downsample=3)
    with pytest.raises(RtrError, match='downsample=32'):
        VAEConfig(horizon=64, downsample=32)
    with pytest.raises(RtrError, match=r'expected shape \(48, 7\)'):
        vae.encode(np.zeros((47, 7)))
    with pytest.raises(RtrError, match=r'expected shape \(12, 7\)'):
        vae.decode(np.zeros((12, 8)))
    with pytest.raises(RtrError, match='action names'):
        ActionVAE(VAEConfig(action_dim=2), MinMaxNormaliser(-np.ones(2), np.ones(2)), ['a'])


def test_save_load_round_trip_keeps_outputs_and_hash(vae, tmp_path):
    path = tmp_path / 'vae.pt'
    vae.save(path, report={'note': 'ridealong'})
    assert [p.name for p in tmp_path.iterdir()] == ['vae.pt'], 'no temporary file left'
    back = ActionVAE.load(path, horizon=48, action_dim=7, dt=1 / 60)
    x = smooth_chunks(4)
    np.testing.assert_array_equal(back.reconstruct(x), vae.reconstruct(x))
    assert back.hash == vae.hash and len(vae.hash) == 16
    assert back.action_names == NAMES and back.config == vae.config
    np.testing.assert_array_equal(back.normaliser.low, vae.normaliser.low)


def test_hash_follows_the_content(vae):
    before = vae.hash
    with torch.no_grad():
        vae.net.decoder.body[-1].bias[0] += 1e-3
    assert vae.hash != before
    other = ActionVAE(vae.config, vae.normaliser, [f'j{i}' for i in range(7)], vae.net)
    assert other.hash != vae.hash


def _rewrite(path, **changes):
    data = torch.load(path, weights_only=True)
    data.update(changes)
    torch.save(data, path)


def test_load_errors_are_clear(vae, tmp_path):
    path = tmp_path / 'vae.pt'
    with pytest.raises(CheckpointError, match='no such action VAE checkpoint'):
        ActionVAE.load(path)
    path.write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointError, match='not a readable torch checkpoint'):
        ActionVAE.load(path)
    torch.save({'format': 'something.else'}, path)
    with pytest.raises(CheckpointError, match='not an rtr action VAE checkpoint'):
        ActionVAE.load(path)
    vae.save(path)
    with pytest.raises(CheckpointError, match='horizon is 48, expected 64'):
        ActionVAE.load(path, horizon=64)
    with pytest.raises(CheckpointError, match='action_dim is 7, expected 6'):
        ActionVAE.load(path, action_dim=6)
    with pytest.raises(CheckpointError, match='dt is'):
        ActionVAE.load(path, dt=0.02)
    _rewrite(path, version=FORMAT_VERSION + 1)
    with pytest.raises(CheckpointError, match=f'version {FORMAT_VERSION + 1}'):
        ActionVAE.load(path)
    vae.save(path)
    _rewrite(path, config={**vae.config.to_dict(), 'hidden_channels': 16})
    with pytest.raises(CheckpointError, match='weights do not match'):
        ActionVAE.load(path)
    _rewrite(path, config={**vae.config.to_dict(), 'layers': 3})
    with pytest.raises(CheckpointError, match='layers: unknown key'):
        ActionVAE.load(path)


def test_normaliser_maps_range_to_unit_and_back():
    data = np.array([[0.0, 5.0, 2.0], [1.0, 7.0, 2.0]])
    n = MinMaxNormaliser.fit(data)
    np.testing.assert_allclose(n.normalise(data), [[-1, -1, 0], [1, 1, 0]])
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(n.denormalise(n.normalise(x)), x)
    back = MinMaxNormaliser.from_dict(n.to_dict())
    np.testing.assert_array_equal(back.low, n.low)
    np.testing.assert_array_equal(back.high, n.high)
    with pytest.raises(RtrError, match='high < low'):
        MinMaxNormaliser(np.ones(2), np.zeros(2))


def test_network_is_small_enough_for_the_real_time_path():
    net = ActionVAENet(dataclasses.replace(VAEConfig(), action_dim=7))
    assert sum(p.numel() for p in net.parameters()) < 500_000


def test_per_joint_encodes_every_dimension_on_its_own(tmp_path):
    """per_joint: a latent of (12, 7 x c), each joint's part depending on that joint only,
    so the model cannot lean on how joints move together; saved and loaded as such."""
    torch.manual_seed(0)
    data = smooth_chunks(64)
    vae = ActionVAE(VAEConfig(per_joint=True, latent_channels=2), MinMaxNormaliser.fit(data),
                    NAMES)
    assert vae.latent_shape == (12, 14)
    x = smooth_chunks(3, seed=1)
    y = x.copy()
    y[:, :, 4] += 0.3 * np.sin(np.linspace(0, 3, 48))  # move joint 4 only
    dz = np.abs(vae.encode(y) - vae.encode(x)).reshape(3, 12, 7, 2).max(axis=(0, 1, 3))
    dx = np.abs(vae.reconstruct(y) - vae.reconstruct(x)).max(axis=(0, 1))
    assert dz[4] > 0 and dx[4] > 0
    assert np.all(np.delete(dz, 4) == 0) and np.all(np.delete(dx, 4) == 0)
    path = tmp_path / 'vae.pt'
    vae.save(path)
    back = ActionVAE.load(path)
    assert back.config.per_joint and back.hash == vae.hash
    np.testing.assert_array_equal(back.reconstruct(x), vae.reconstruct(x))


def test_configs_from_before_per_joint_keep_their_meaning_and_hash():
    """Checkpoints written before the field existed have no per_joint: they are the mixed
    network, and the field is left out of the config dict (the content hash and the demo's
    artifact keys) when it is False. The default is per joint, with its own sizes."""
    old = {'horizon': 48, 'action_dim': 7, 'dt': 1 / 60, 'downsample': 4,
           'hidden_channels': 64, 'latent_channels': 8, 'kernel_size': 5, 'decoder': 'conv',
           'mlp_hidden': 128}  # a config dict as written before per_joint existed
    mixed = VAEConfig.from_dict(old)
    assert not mixed.per_joint and mixed.to_dict() == old
    assert mixed == VAEConfig(per_joint=False)  # the mixed network keeps its sizes
    default = VAEConfig()
    assert default.per_joint and default.to_dict()['per_joint'] is True
    assert (default.hidden_channels, default.latent_channels) == (32, 1)
    assert VAEConfig.from_dict(default.to_dict()) == default
    with pytest.raises(RtrError, match='per_joint'):
        VAEConfig(per_joint='yes')
