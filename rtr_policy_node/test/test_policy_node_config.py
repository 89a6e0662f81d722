"""The policy node's parameters and set-up, ROS-free: YAML validation, a real checkpoint loaded
with its observation contract, topic overrides, one inference through the worker's inputs."""

from pathlib import Path

import numpy as np
import pytest

from rtr_core.config import ConfigError, load_ros_params, unflatten
from rtr_core.errors import RtrError
from rtr_core.images import fit_image
from rtr_core.inference import LatestInputs
from rtr_policy_node.config import NODE_NAME, PolicyNodeConfig, load_policy

JOINTS = tuple(f'joint_{i}' for i in range(1, 8))

PARAMS = Path(__file__).resolve().parents[2] / 'rtr_bringup' / 'config' / 'rtr_nodes.yaml'


def test_bringup_params_are_valid():
    cfg = load_ros_params(PolicyNodeConfig, PARAMS, NODE_NAME)
    assert cfg.trigger == 'executor' and cfg.trigger_config() is None
    assert unflatten(PolicyNodeConfig, {'trigger': 'threshold'}).trigger_config().threshold == 24


def test_bad_parameters_fail_clearly(tmp_path):
    bad = tmp_path / 'p.yaml'
    bad.write_text(f'{NODE_NAME}:\n  ros__parameters:\n    trigger: sometimes\n')
    with pytest.raises(ConfigError, match='trigger'):
        load_ros_params(PolicyNodeConfig, bad, NODE_NAME)
    with pytest.raises(RtrError, match='policy_checkpoint is empty'):
        load_policy(PolicyNodeConfig())
    with pytest.raises(RtrError, match='nope.pt'):
        load_policy(PolicyNodeConfig(policy_checkpoint=str(tmp_path / 'nope.pt')))


def test_topics_come_from_the_contract_and_can_be_overridden(checkpoint):
    setup = load_policy(PolicyNodeConfig(policy_checkpoint=str(checkpoint)))
    assert setup.inputs == ('image', 'joint_positions', 'wrench')
    assert setup.topics['image'] == '/camera/camera/color/image_raw'
    assert setup.image_size == (96, 96)
    setup = load_policy(PolicyNodeConfig(policy_checkpoint=str(checkpoint),
                                         wrench_topic='/ft/wrench', image_topic='/cam/image'))
    assert setup.topics['wrench'] == '/ft/wrench' and setup.topics['image'] == '/cam/image'


def test_a_camera_frame_goes_through_to_a_chunk(checkpoint):
    setup = load_policy(PolicyNodeConfig(policy_checkpoint=str(checkpoint)))
    inputs = LatestInputs(setup.source.joint_names, setup.inputs)
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    inputs.put_image(10.0, fit_image(frame, *setup.image_size))
    inputs.put_joint_state(10.01, JOINTS, np.zeros(7))
    inputs.put_wrench(10.01, np.zeros(6))
    obs, problem = inputs.observation(10.02, 0.5)
    assert problem == ''
    chunk = setup.source.predict(obs)
    assert chunk.positions.shape == (16, 7) and chunk.stamp == 10.01
    assert np.all(np.isfinite(chunk.positions))


def test_configure_warms_the_source_up_unless_told_not_to(checkpoint):
    setup = load_policy(PolicyNodeConfig(policy_checkpoint=str(checkpoint), rtc=True))
    assert len(setup.warm_up_s) == 2 and all(s > 0 for s in setup.warm_up_s)
    setup = load_policy(PolicyNodeConfig(policy_checkpoint=str(checkpoint), warm_up=False))
    assert setup.warm_up_s == ()


def test_a_failed_warm_up_fails_configure_and_names_the_parameter():
    """A server that raises on the warm-up's blank observation: configure fails (the source
    is closed), and the message says what failed and how to skip it."""
    pytest.importorskip('openpi_client', reason='openpi-client not installed (make setup)')
    from rtr_core.sources.openpi_server import PolicyServer

    class Exploding:
        def infer(self, obs):
            raise RuntimeError('model exploded')

    with PolicyServer(Exploding()) as server:
        cfg = unflatten(PolicyNodeConfig, {
            'source': 'openpi', 'openpi.port': server.port, 'openpi.joint_names': list(JOINTS),
            'openpi.image_height': 96, 'openpi.image_width': 96})
        with pytest.raises(RtrError, match=r'(?s)the warm-up .*parameter warm_up\) failed: '
                                           r'server_error: .*model exploded.*set warm_up false'):
            load_policy(cfg)
        cfg = unflatten(PolicyNodeConfig, {
            'source': 'openpi', 'openpi.port': server.port, 'openpi.joint_names': list(JOINTS),
            'warm_up': False})
        assert load_policy(cfg).warm_up_s == ()


def test_a_seed_makes_the_node_sample_like_rtr_eval_open_loop(checkpoint):
    """seed n: chunk k is sampled with seed n + k (as `rtr eval open-loop --seed n`)."""
    from rtr_core.policy import Policy

    setup = load_policy(PolicyNodeConfig(policy_checkpoint=str(checkpoint), seed=5))
    inputs = LatestInputs(setup.source.joint_names, setup.inputs)
    inputs.put_image(1.0, np.zeros((*setup.image_size, 3), dtype=np.uint8))
    inputs.put_joint_state(1.0, JOINTS, np.zeros(7))
    inputs.put_wrench(1.0, np.zeros(6))
    obs, _ = inputs.observation(1.0, 0.5)
    policy = Policy.load(str(checkpoint))
    for k in range(2):
        np.testing.assert_array_equal(setup.source.predict(obs).positions,
                                      policy.predict(obs, seed=5 + k).positions)
    with pytest.raises(RtrError, match='seed 5 is set but source openpi'):
        load_policy(PolicyNodeConfig(source='openpi', seed=5))


def test_source_parameters(tmp_path):
    """source openpi / plugin from the node's YAML: an unreachable server or an unknown plugin
    fails configure with a message naming it; rtc needs a source that supports it."""
    pytest.importorskip('openpi_client', reason='openpi-client not installed (make setup)')
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    params = tmp_path / 'p.yaml'
    params.write_text(f'{NODE_NAME}:\n  ros__parameters:\n    source: openpi\n    openpi:\n'
                      f'      host: 127.0.0.1\n      port: {port}\n      connect_timeout: 0.5\n'
                      f'      joint_names: [{", ".join(JOINTS)}]\n'
                      f'      actions: {{mode: velocity, gripper_index: 7}}\n')
    cfg = load_ros_params(PolicyNodeConfig, params, NODE_NAME)
    assert cfg.openpi.actions.mode == 'velocity' and cfg.openpi.joint_names == JOINTS
    with pytest.raises(RtrError, match=f'ws://127.0.0.1:{port} not reachable at configure'):
        load_policy(cfg)
    with pytest.raises(RtrError, match="plugin.name='nope'"):
        load_policy(unflatten(PolicyNodeConfig, {'source': 'plugin', 'plugin.name': 'nope'}))
    with pytest.raises(ConfigError, match='source'):
        unflatten(PolicyNodeConfig, {'source': 'torchhub'})


def test_a_misspelt_policy_parameter_is_refused_with_the_closest_name():
    from rtr_core.config import ConfigError, flatten, from_parameters
    from rtr_policy_node.config import NODE_NAME, PolicyNodeConfig

    values = flatten(PolicyNodeConfig())
    with pytest.raises(ConfigError, match=r"unknown parameter 'inference_thread'; did you "
                       r"mean 'inference_threads'\?"):
        from_parameters(PolicyNodeConfig, values, {'inference_thread': 4}, NODE_NAME)
    assert from_parameters(PolicyNodeConfig, values, {'inference_threads': 2}, NODE_NAME) \
        == PolicyNodeConfig()
