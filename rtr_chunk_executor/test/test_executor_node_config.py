"""The executor node's parameters: YAML validated against the typed config, ROS-free."""

from pathlib import Path

import numpy as np
import pytest

from rtr_chunk_executor.config import NODE_NAME, ExecutorNodeConfig, build_executor
from rtr_core.config import ConfigError, flatten, load_ros_params, unflatten
from rtr_sim.arm.spec import arm_spec

PARAMS = Path(__file__).resolve().parents[2] / 'rtr_bringup' / 'config' / 'rtr_nodes.yaml'


def test_bringup_params_are_valid_and_match_the_arm():
    cfg = load_ros_params(ExecutorNodeConfig, PARAMS, NODE_NAME)
    spec = arm_spec()
    ex = cfg.executor
    assert ex.joint_names == spec.joint_names
    np.testing.assert_allclose(ex.limit('position_lower'), spec.lower)
    np.testing.assert_allclose(ex.limit('position_upper'), spec.upper)
    np.testing.assert_allclose(ex.limit('max_velocity'), spec.max_velocity)
    np.testing.assert_allclose(ex.limit('max_acceleration'), spec.max_acceleration)
    np.testing.assert_allclose(ex.limit('max_jerk'), spec.max_jerk)


def test_parameters_round_trip_through_their_ros_names():
    cfg = load_ros_params(ExecutorNodeConfig, PARAMS, NODE_NAME)
    flat = flatten(cfg)
    assert 'executor.safety.max_velocity' in flat and 'topics.action_chunk' in flat
    assert unflatten(ExecutorNodeConfig, flat) == cfg


def test_unknown_or_mistyped_parameters_fail(tmp_path):
    bad = tmp_path / 'p.yaml'
    bad.write_text(f'{NODE_NAME}:\n  ros__parameters:\n    executor:\n      stratgy: rtr\n')
    with pytest.raises(ConfigError, match=r'executor.stratgy: unknown key'):
        load_ros_params(ExecutorNodeConfig, bad, NODE_NAME)
    bad.write_text(f'{NODE_NAME}:\n  ros__parameters:\n    output_mode: servo\n')
    with pytest.raises(ConfigError, match='output_mode'):
        load_ros_params(ExecutorNodeConfig, bad, NODE_NAME)


def test_build_executor_without_vae_for_a_baseline():
    cfg = unflatten(ExecutorNodeConfig, {'executor.strategy': 'naive'})
    executor = build_executor(cfg)
    assert executor.strategy.name == 'naive'


def _bringup_overrides() -> dict:
    """The parameter names the bringup YAML gives the node, as rclpy flattens them."""
    import yaml

    from rtr_core.config import dotted

    return dotted(yaml.safe_load(PARAMS.read_text())[NODE_NAME]['ros__parameters'])


def test_a_misspelt_parameter_is_refused_with_the_closest_name():
    from rtr_chunk_executor.config import REQUIRED_PARAMETERS
    from rtr_core.config import from_parameters

    given = _bringup_overrides()
    values = {**flatten(ExecutorNodeConfig()), **given}
    cfg = from_parameters(ExecutorNodeConfig, values, given, NODE_NAME, REQUIRED_PARAMETERS)
    assert cfg == load_ros_params(ExecutorNodeConfig, PARAMS, NODE_NAME)
    typo = {**given, 'executor.safety.max_velocty': 0.5}  # rclpy would drop it silently
    with pytest.raises(ConfigError, match=r"unknown parameter 'executor.safety.max_velocty'; "
                       r"did you mean 'executor.safety.max_velocity'\?"):
        from_parameters(ExecutorNodeConfig, values, typo, NODE_NAME, REQUIRED_PARAMETERS)
    # ROS's own parameters are not typos
    from_parameters(ExecutorNodeConfig, values, {**given, 'use_sim_time': True}, NODE_NAME,
                    REQUIRED_PARAMETERS)


def test_the_node_refuses_to_run_on_default_safety_limits():
    from rtr_chunk_executor.config import REQUIRED_PARAMETERS
    from rtr_core.config import from_parameters

    given = {k: v for k, v in _bringup_overrides().items()
             if k != 'executor.safety.max_velocity'}
    values = {**flatten(ExecutorNodeConfig()), **given}
    with pytest.raises(ConfigError, match=r'required parameters missing: '
                       r'executor.safety.max_velocity'):
        from_parameters(ExecutorNodeConfig, values, given, NODE_NAME, REQUIRED_PARAMETERS)
    assert set(REQUIRED_PARAMETERS) <= set(_bringup_overrides())  # the bringup gives them all
