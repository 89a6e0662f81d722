"""Damaged VAE and policy checkpoints: a clear error naming the file, never a crash.

Real checkpoints (a small ActionVAE fitted for a few Adam steps, a latent and an action
diffusion policy built on it) are saved, then damaged: a field of the stored dict replaced by
a value of another type or shape (hypothesis chooses which and with what), the format or
version changed, keys dropped, weights reshaped, or the file's bytes truncated/overwritten.
Loading must either work (the damage was harmless) or raise an RtrError naming the file.
"""

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtr_core.errors import RtrError
from rtr_core.policy import Observation, ObservationContract, Policy, PolicyConfig
from rtr_core.threads import torch_threads
from rtr_core.vae import ActionVAE, MinMaxNormaliser, VAEConfig

J = 3
SMALL = dict(down_dims=(16, 32), image_channels=(8, 16), image_keypoints=4, vector_features=8,
             step_embed_dim=16, horizon=16, num_inference_steps=3)
REPLACEMENTS = (None, 'text', -1, 0, 7, 1e30, float('nan'), [], {}, True, [1.0, 2.0],
                {'low': [0.0], 'high': [1.0]}, 'tensor_small', 'tensor_big', 'tensor_int')


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp('ckpt')
    torch.manual_seed(0)
    vae = ActionVAE(VAEConfig(horizon=16, action_dim=J, hidden_channels=16, latent_channels=4),
                    MinMaxNormaliser(-np.ones(J), np.ones(J)))
    x = torch.as_tensor(np.sin(np.linspace(0, 3, 16)[None, :, None]
                               + np.arange(J * 8).reshape(8, 1, J)), dtype=torch.float32)
    opt = torch.optim.Adam(vae.net.parameters(), lr=3e-3)
    vae.net.train().requires_grad_(True)
    for _ in range(20):  # a few real training steps
        loss = (vae.net(x)[0] - x).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    vae.net.eval().requires_grad_(False)
    vae.save(root / 'vae.pt')
    contract = ObservationContract(image=dataclasses.replace(ObservationContract().image,
                                                             height=32, width=32))
    contract = contract.with_joint_names([f'j{i}' for i in range(J)])
    latents = vae.encode(x.numpy())
    norms = {'action': MinMaxNormaliser(-np.ones(J), np.ones(J)),
             'native': MinMaxNormaliser.fit(latents),
             'joint_positions': MinMaxNormaliser(-np.ones(J), np.ones(J)),
             'wrench': MinMaxNormaliser(-10 * np.ones(6), 10 * np.ones(6))}
    Policy(PolicyConfig(name='latent_diffusion', **SMALL), contract, norms, vae).save(
        root / 'latent.pt', vae_path='vae.pt')
    norms['native'] = norms['action']
    Policy(PolicyConfig(name='action_diffusion', **SMALL), contract, norms, None).save(
        root / 'action.pt')
    return root


def _leaves(obj, path=()):
    """Every (path, value) in a nested checkpoint dict, containers included."""
    out = [(path, obj)] if path else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _leaves(v, (*path, k))
    elif isinstance(obj, (list, tuple)) and len(obj) < 20:
        for i, v in enumerate(obj):
            out += _leaves(v, (*path, i))
    return out


def _replacement(name, old):
    if name == 'tensor_small':
        return torch.zeros(2)
    if name == 'tensor_big':
        shape = tuple(old.shape) if isinstance(old, torch.Tensor) else (3,)
        return torch.zeros(tuple(s + 1 for s in shape) or (2,))
    if name == 'tensor_int':
        return torch.zeros(3, dtype=torch.int64)
    return name


def _damage(data, edits):
    for where, what, drop in edits:
        leaves = _leaves(data)
        path, old = leaves[where % len(leaves)]
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, tuple):
            continue
        if drop and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = _replacement(REPLACEMENTS[what % len(REPLACEMENTS)], old)
    return data


def _load(kind, path, saved):
    if kind == 'vae':
        return ActionVAE.load(path)
    return Policy.load(path, vae=saved / 'vae.pt')


def _use(kind, model):
    """A loaded model must also work (or refuse its input clearly)."""
    if kind == 'vae':
        x = np.zeros((model.horizon, model.action_dim))
        assert model.reconstruct(x).shape == x.shape
        return
    rng = np.random.default_rng(0)
    obs = Observation(stamp=1.0, joint_positions=np.zeros(J),
                      image=rng.integers(0, 255, (32, 32, 3), dtype=np.uint8),
                      wrench=np.zeros(6))
    try:
        model.predict(obs, seed=0)
    except RtrError:
        pass


edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 100), st.booleans()),
                 min_size=1, max_size=3)


@pytest.mark.parametrize('kind', ['vae', 'latent', 'action'])
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=edits)
def test_damaged_checkpoint_fields_fail_clearly(saved, kind, edits):
    data = torch.load(saved / f'{kind}.pt', weights_only=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'damaged.pt'
        torch.save(_damage(data, edits), path)
        try:
            model = _load(kind, path, saved)
        except RtrError as exc:
            assert str(path) in str(exc), exc
            return
        _use(kind, model)


@pytest.mark.parametrize('kind', ['vae', 'latent', 'action'])
@settings(max_examples=15, deadline=None, derandomize=True)
@given(fraction=st.floats(0.0, 0.999), flips=st.lists(st.integers(0, 10**9), max_size=8))
def test_truncated_or_overwritten_files_fail_clearly(saved, kind, fraction, flips):
    raw = bytearray((saved / f'{kind}.pt').read_bytes())
    for i in flips:
        raw[i % len(raw)] ^= 0xFF
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'damaged.pt'
        path.write_bytes(bytes(raw[:max(1, int(len(raw) * fraction))] if fraction > 0
                               else raw))
        try:
            _use(kind, _load(kind, path, saved))
        except RtrError as exc:
            assert str(path) in str(exc), exc


@pytest.mark.parametrize('kind', ['vae', 'latent'])
def test_wrong_version_format_and_shape_are_named(saved, tmp_path, kind):
    data = torch.load(saved / f'{kind}.pt', weights_only=True)
    what = 'action VAE' if kind == 'vae' else 'policy'
    for key, value, message in (('version', 2, 'format version 2'),
                                ('format', 'other', "format 'other'")):
        torch.save({**data, key: value}, tmp_path / 'x.pt')
        with pytest.raises(RtrError, match=message):
            _load(kind, tmp_path / 'x.pt', saved)
    state = dict(data['state_dict'])
    name = next(iter(state))
    state[name] = torch.zeros(tuple(s + 1 for s in state[name].shape))
    torch.save({**data, 'state_dict': state}, tmp_path / 'x.pt')
    with pytest.raises(RtrError, match='weights do not match'):
        _load(kind, tmp_path / 'x.pt', saved)
    assert what
