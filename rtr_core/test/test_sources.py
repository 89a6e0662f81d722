"""Chunk sources: the openpi websocket path against a real local server (openpi's protocol,
openpi-client's msgpack-numpy over websockets) serving a committed demo policy, its failure
handling, the action mappings, latent replies and entry-point plugins."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rtr_core.policy import Observation, Policy
from rtr_core.sources import (
    ActionMapping,
    OpenpiConfig,
    OpenpiSource,
    PluginSource,
    ReplyRejected,
    RtrSource,
    SourceError,
    SourceUnavailable,
    make_source,
)
from rtr_core.vae import ActionVAE

pytest.importorskip('openpi_client', reason='openpi-client not installed (make setup installs '
                    'it)')
pytest.importorskip('websockets', reason='websockets not installed (make setup installs it)')

from rtr_core.sources.openpi_server import PolicyServer, RtrOpenpiPolicy  # noqa: E402

DEMO = Path(__file__).resolve().parents[2] / 'checkpoints' / 'demo'
JOINTS = tuple(f'joint_{i}' for i in range(1, 8))
KEYS = dict(image_key='observation/exterior_image_1_left', image_height=96, image_width=96,
            joint_positions_key='observation/joint_position', wrench_key='observation/wrench')


@pytest.fixture(scope='module')
def policy():
    return Policy.load(DEMO / 'action_60hz.pt')


@pytest.fixture(scope='module')
def latent_policy():
    return Policy.load(DEMO / 'latent_60hz.pt')


def _observation(seed=0, stamp=12.5):
    rng = np.random.default_rng(seed)
    return Observation(stamp=stamp, joint_positions=rng.uniform(-0.3, 0.3, 7),
                       image=rng.integers(0, 255, (96, 96, 3), dtype=np.uint8),
                       wrench=rng.normal(size=6), joint_positions_stamp=stamp)


def _config(port, **changes):
    base = dict(host='127.0.0.1', port=port, joint_names=JOINTS, action_rate_hz=60.0,
                connect_timeout=2.0, reply_timeout=2.0, **KEYS)
    base.update(changes)
    return OpenpiConfig(**base)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Scripted:
    """An openpi policy whose replies follow a script (for fault injection)."""

    def __init__(self, inner, script=()):
        self.inner = inner
        self.script = list(script)
        self.calls = 0

    def infer(self, obs):
        self.calls += 1
        what = self.script.pop(0) if self.script else 'ok'
        out = self.inner.infer(obs)
        if what == 'nan':
            out['actions'][3, 2] = np.nan
        elif what == 'short':
            out['actions'] = out['actions'][:, :5]
        elif what == 'nokey':
            out = {'action': out['actions']}
        elif what == 'raise':
            raise RuntimeError('model exploded')
        elif what.startswith('sleep'):
            time.sleep(float(what[5:]))
        return out


def test_openpi_source_matches_the_direct_policy(policy):
    """The same demo checkpoint, served by openpi's protocol on localhost, gives the chunk the
    direct call gives (same seed), stamped with the observation time at the server's rate."""
    obs = _observation()
    with PolicyServer(RtrOpenpiPolicy(policy, seed=7), metadata={'policy': 'demo'}) as server:
        source = OpenpiSource(_config(server.port))
        chunk = source.predict(obs)
        source.close()
    direct = policy.predict(obs, seed=7)
    assert source.metadata == {'policy': 'demo'}
    assert chunk.stamp == obs.stamp and chunk.dt == pytest.approx(1 / 60)
    assert chunk.start_time == pytest.approx(direct.start_time)
    assert chunk.positions.shape == direct.positions.shape == (48, 7)
    np.testing.assert_allclose(chunk.positions, direct.positions, atol=1e-5)  # float32 wire
    assert chunk.joint_names == JOINTS and chunk.latent is None


def test_unreachable_server_at_configure_is_a_clear_error():
    port = _free_port()
    with pytest.raises(SourceError, match=f'127.0.0.1:{port} not reachable at configure'):
        OpenpiSource(_config(port, connect_timeout=0.5))
    with pytest.raises(SourceError, match='openpi.joint_names: empty'):
        make_source('openpi', openpi=OpenpiConfig())


def test_connection_lost_mid_run_reconnects_with_backoff(policy):
    now = [0.0]
    server = PolicyServer(RtrOpenpiPolicy(policy)).start()
    port = server.port
    source = OpenpiSource(_config(port, reconnect_min=0.5, reconnect_max=2.0,
                                  connect_timeout=0.5), clock=lambda: now[0])
    assert source.predict(_observation()).horizon == 48
    server.stop()
    with pytest.raises(SourceUnavailable, match='reconnecting in 0.50 s'):
        source.predict(_observation())
    with pytest.raises(SourceUnavailable, match='next attempt in'):  # no attempt before then
        source.predict(_observation())
    now[0] = 0.6
    with pytest.raises(SourceUnavailable, match='reconnecting in 1.00 s'):  # still down
        source.predict(_observation())
    now[0] = 0.6 + 1.0 + 2.1  # backoff doubled; the server is back on its port
    with PolicyServer(RtrOpenpiPolicy(policy), port=port):
        chunk = source.predict(_observation(stamp=20.0))
    assert chunk.stamp == 20.0 and np.all(np.isfinite(chunk.positions))
    stats = source.stats()
    assert stats['connection_lost'] == '2' and stats['reconnects'] == '1'


@pytest.mark.parametrize('fault, kind', [('nan', 'non_finite'), ('short', 'shape'),
                                         ('nokey', 'missing_key'), ('raise', 'server_error')])
def test_bad_replies_are_rejected_and_counted(policy, fault, kind):
    with PolicyServer(Scripted(RtrOpenpiPolicy(policy), [fault])) as server:
        source = OpenpiSource(_config(server.port))
        with pytest.raises(ReplyRejected) as info:
            source.predict(_observation())
        assert info.value.kind == kind
        if fault == 'raise':
            assert 'model exploded' in str(info.value)
        stats = source.stats()
        assert stats[f'rejected_{kind}'] == '1' and stats['rejected_replies'] == '1'
        assert kind in stats['last_rejection']
        # the next reply is good again (after a server error: through a new connection)
        source._next_attempt = 0.0
        chunk = source.predict(_observation())
        assert np.all(np.isfinite(chunk.positions))


def test_a_reply_slower_than_the_timeout_drops_the_connection(policy):
    # margins for a loaded 2-core machine, where one prediction can take 0.5 s
    scripted = Scripted(RtrOpenpiPolicy(policy), ['sleep4.0'])
    with PolicyServer(scripted) as server:
        source = OpenpiSource(_config(server.port, reply_timeout=2.0, reconnect_min=0.01,
                                      connect_timeout=10.0))
        with pytest.raises(SourceUnavailable, match='no reply within 2 s'):
            source.predict(_observation(stamp=1.0))
        time.sleep(0.05)
        chunk = source.predict(_observation(stamp=2.0))  # never the late answer to stamp 1.0
        assert chunk.stamp == 2.0
    assert source.stats()['reconnects'] == '1'


def test_a_warm_up_pays_for_a_compiling_server_at_configure(policy):
    """A server whose first inference compiles (3 s here, openpi's JAX: 10 s and more) answers
    the warm-up within warm_up_timeout; the first real request then gets its reply within
    reply_timeout, on the same connection, and nothing is counted. Without the warm-up that
    first request times out (test_a_reply_slower_than_the_timeout_drops_the_connection)."""
    scripted = Scripted(RtrOpenpiPolicy(policy), ['sleep3.0'])
    with PolicyServer(scripted) as server:
        source = OpenpiSource(_config(server.port, reply_timeout=2.0, warm_up_timeout=20.0))
        before = source.stats()
        seconds = source.warm_up()
        assert len(seconds) == 1 and seconds[0] >= 3.0
        assert source.stats() == before  # no connection lost, no server time counted
        chunk = source.predict(_observation(stamp=5.0))
        assert chunk.stamp == 5.0 and np.all(np.isfinite(chunk.positions))
        assert scripted.calls == 2 and server.connections == 1
        # a warm-up that times out fails (configure then fails) and counts nothing either
        slow = Scripted(RtrOpenpiPolicy(policy), ['sleep2.0'])
        server.policy = slow
        source.close()
        source = OpenpiSource(_config(server.port, warm_up_timeout=0.5))
        with pytest.raises(SourceUnavailable, match='no reply within 0.5 s'):
            source.warm_up()
        assert 'connection_lost' not in source.stats()


def test_a_warm_up_leaves_a_seeded_source_as_it_was(latent_policy):
    """Warm-up (with RTC: a second, guided call) then the first chunk: the chunk the source
    gives without a warm-up, bit for bit; the global torch generator untouched."""
    import torch

    obs = _observation(4)
    cold = RtrSource(latent_policy, seed=11).predict(obs)
    source = RtrSource(latent_policy, seed=11)
    state = torch.get_rng_state()
    seconds = source.warm_up(rtc=True)
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    assert torch.equal(torch.get_rng_state(), state)
    warm = source.predict(obs)
    np.testing.assert_array_equal(warm.positions, cold.positions)
    np.testing.assert_array_equal(warm.latent, cold.latent)
    blank = source.blank_observation()
    assert blank.image.shape == (96, 96, 3) and not blank.image.any()
    assert blank.joint_positions.shape == (7,) and blank.wrench.shape == (6,)


def test_latent_replies_are_decoded_by_the_vae(latent_policy):
    vae = ActionVAE.load(DEMO / 'vae.pt')
    obs = _observation(3)
    with PolicyServer(RtrOpenpiPolicy(latent_policy, latent=True, seed=3)) as server:
        source = OpenpiSource(_config(server.port, actions=ActionMapping(mode='latent')),
                              vae=vae)
        chunk = source.predict(obs)
    direct = latent_policy.predict(obs, seed=3)
    assert chunk.latent.shape == vae.latent_shape
    np.testing.assert_allclose(chunk.latent, direct.latent, atol=1e-5)
    np.testing.assert_allclose(chunk.positions, vae.decode(chunk.latent))
    np.testing.assert_allclose(chunk.positions, direct.positions, atol=1e-4)
    with pytest.raises(SourceError, match='vae_checkpoint'):
        OpenpiSource(_config(1, actions=ActionMapping(mode='latent')))


def test_action_mappings():
    joints = ('a', 'b', 'g')
    q = np.array([1.0, 2.0, 0.5])
    rows = np.array([[0.1, 0.2, 9.0], [0.3, 0.4, 8.0]])
    absolute = ActionMapping(gripper_index=2, gripper_joint='g')
    np.testing.assert_allclose(absolute.positions(rows, joints, q, 0.1), rows)
    delta = ActionMapping('delta', gripper_index=2, gripper_joint='g')
    np.testing.assert_allclose(delta.positions(rows, joints, q, 0.1),
                               [[1.1, 2.2, 9.0], [1.3, 2.4, 8.0]])
    velocity = ActionMapping('velocity', gripper_index=2, gripper_joint='g')
    np.testing.assert_allclose(velocity.positions(rows, joints, q, 0.1),
                               [[1.01, 2.02, 9.0], [1.04, 2.06, 8.0]])
    dropped = ActionMapping('delta', gripper_index=2)  # gripper column dropped: 2 joints
    np.testing.assert_allclose(dropped.positions(rows, ('a', 'b'), q[:2], 0.1),
                               [[1.1, 2.2], [1.3, 2.4]])
    with pytest.raises(ReplyRejected, match=r'expected shape \(N >= 1, 3\)'):
        absolute.positions(rows[:, :2], joints, q, 0.1)


def test_images_are_resized_like_openpi_client(policy):
    from openpi_client import image_tools

    frame = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    with PolicyServer(RtrOpenpiPolicy(policy)) as server:
        source = OpenpiSource(_config(server.port, image_height=224, image_width=224,
                                      prompt='write the letter C',
                                      blank_image_keys=('observation/wrist_image_left',)))
        sent = source.request(Observation(stamp=0.0, image=frame, joint_positions=np.zeros(7),
                                          wrench=np.zeros(6)))
        source.close()
    np.testing.assert_array_equal(sent['observation/exterior_image_1_left'],
                                  image_tools.resize_with_pad(frame, 224, 224))
    assert sent['observation/wrist_image_left'].shape == (224, 224, 3)
    assert sent['prompt'] == 'write the letter C'


PLUGIN = '''
import numpy as np


class Hold:
    """Holds the observed joint positions for 10 actions at 20 Hz."""

    joint_names = tuple(f'joint_{i}' for i in range(1, 8))
    action_dt = 0.05
    inputs = ('joint_positions',)

    def __init__(self, horizon=10, poison=False):
        self.horizon = horizon
        self.poison = poison

    def infer(self, observation):
        rows = np.tile(observation.joint_positions, (self.horizon, 1))
        if self.poison:
            rows[0, 0] = np.nan
        return rows
'''


@pytest.fixture
def plugin_installed(tmp_path, monkeypatch):
    """A real distribution with an entry point in group rtr.policies, on sys.path."""
    (tmp_path / 'hold_policy.py').write_text(PLUGIN)
    # the example of docs/sources/plugin.md, as written there
    doc = (Path(__file__).resolve().parents[2] / 'docs' / 'sources' / 'plugin.md').read_text()
    (tmp_path / 'doc_example.py').write_text(doc.split('```python\n')[1].split('```')[0])
    dist = tmp_path / 'hold_policy-1.0.dist-info'
    dist.mkdir()
    (dist / 'METADATA').write_text('Metadata-Version: 2.1\nName: hold-policy\nVersion: 1.0\n')
    (dist / 'entry_points.txt').write_text('[rtr.policies]\nhold = hold_policy:Hold\n'
                                           'hold_and_wave = doc_example:HoldAndWave\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop('hold_policy', None)
    sys.modules.pop('doc_example', None)


def test_plugin_by_entry_point(plugin_installed):
    from rtr_core.sources import PluginConfig

    source = make_source('plugin', plugin=PluginConfig('hold', 'horizon: 12'))
    assert isinstance(source, PluginSource) and source.inputs == ('joint_positions',)
    obs = _observation()
    chunk = source.predict(obs)
    assert chunk.horizon == 12 and chunk.dt == 0.05
    assert chunk.start_time == pytest.approx(obs.stamp + 0.05)
    np.testing.assert_allclose(chunk.positions[-1], obs.joint_positions)
    poisoned = make_source('plugin', plugin=PluginConfig('hold', 'poison: true'))
    with pytest.raises(ReplyRejected, match='non_finite'):
        poisoned.warm_up()  # from zeros; a warm-up counts nothing
    assert poisoned.stats()['rejected_non_finite'] == '0'
    with pytest.raises(ReplyRejected, match='non_finite'):
        poisoned.predict(obs)
    assert poisoned.stats()['rejected_non_finite'] == '1'
    with pytest.raises(SourceError, match="no entry point of that name.*installed: .*hold"):
        make_source('plugin', plugin=PluginConfig('nope'))
    with pytest.raises(SourceError, match='constructor failed'):
        make_source('plugin', plugin=PluginConfig('hold', 'colour: red'))


def test_the_documented_plugin_example(plugin_installed):
    from rtr_core.sources import PluginConfig

    source = make_source('plugin', plugin=PluginConfig('hold_and_wave',
                                                       '{amplitude: 0.05, horizon: 30}'))
    assert source.inputs == ('joint_positions', 'image') and source.image_size == (224, 224)
    obs = _observation()
    chunk = source.predict(obs)
    assert chunk.positions.shape == (30, 7) and chunk.dt == 0.1
    np.testing.assert_allclose(chunk.positions[:, :6], np.tile(obs.joint_positions[:6], (30, 1)))
    assert np.abs(chunk.positions[:, 6] - obs.joint_positions[6]).max() <= 0.05 + 1e-12
