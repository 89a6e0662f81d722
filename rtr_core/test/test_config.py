from dataclasses import dataclass, field
from typing import Literal

import pytest

from rtr_core.config import (
    ConfigError,
    flatten,
    from_dict,
    load_ros_params,
    load_yaml,
    to_dict,
    unflatten,
)


@dataclass(frozen=True)
class Limits:
    velocity: tuple[float, ...] = (1.0, 2.0)
    max_step: float = 0.05


@dataclass(frozen=True)
class Node:
    joint_names: tuple[str, ...]
    rate: float = 60.0
    mode: Literal['jtc', 'forward'] = 'jtc'
    threads: int = 1
    enabled: bool = True
    checkpoint: str | None = None
    limits: Limits = field(default_factory=Limits)


def test_defaults_fill_what_yaml_leaves_out(tmp_path):
    path = tmp_path / 'node.yaml'
    path.write_text('joint_names: [a, b]\nlimits:\n  max_step: 0.1\n')
    cfg = load_yaml(Node, path)
    assert cfg.joint_names == ('a', 'b') and cfg.limits.max_step == 0.1
    assert cfg.limits.velocity == (1.0, 2.0) and cfg.rate == 60.0


@pytest.mark.parametrize('data, message', [
    ({'joint_names': ['a'], 'rat': 60}, r'node.yaml: rat: unknown key for Node'),
    ({'joint_names': ['a'], 'limits': {'max_stp': 1}}, r'limits.max_stp: unknown key'),
    ({'rate': 60}, r'joint_names: required key is missing'),
    ({'joint_names': ['a'], 'rate': 'fast'}, r'rate: expected a number'),
    ({'joint_names': ['a'], 'threads': 1.5}, r'threads: expected an integer'),
    ({'joint_names': ['a'], 'enabled': 'yes'}, r'enabled: expected true or false'),
    ({'joint_names': ['a'], 'mode': 'position'}, r"mode: expected one of \['jtc', 'forward'\]"),
    ({'joint_names': 'a'}, r'joint_names: expected a list'),
    ({'joint_names': ['a'], 'limits': {'velocity': [1, 'x']}}, r'velocity\[1\]: expected a num'),
    ({'joint_names': ['a'], 'checkpoint': 3}, r'checkpoint: expected'),
])
def test_strict_errors_name_file_and_key(data, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(Node, data, 'node.yaml')


def test_flatten_round_trip_for_ros_parameters():
    cfg = Node(joint_names=('a', 'b'), checkpoint='vae.pt')
    flat = flatten(cfg)
    assert flat['limits.max_step'] == 0.05 and flat['joint_names'] == ['a', 'b']
    assert unflatten(Node, flat) == cfg
    assert from_dict(Node, to_dict(cfg)) == cfg


def test_ros_parameter_file(tmp_path):
    path = tmp_path / 'params.yaml'
    path.write_text('my_node:\n  ros__parameters:\n    use_sim_time: true\n'
                    '    joint_names: [j1]\n    rate: 100.0\n')
    assert load_ros_params(Node, path, 'my_node').rate == 100.0
    with pytest.raises(ConfigError, match='no parameters for node'):
        load_ros_params(Node, path, 'other')


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match='no such config file'):
        load_yaml(Node, tmp_path / 'nope.yaml')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('joint_names: [a\n')
    with pytest.raises(ConfigError, match='not valid YAML'):
        load_yaml(Node, bad)


def test_rclpy_and_numpy_arrays_are_lists():
    import array

    import numpy as np

    cfg = from_dict(Node, {'joint_names': ['a'],
                           'limits': {'velocity': array.array('d', [0.5, 1.5])}})
    assert cfg.limits.velocity == (0.5, 1.5)
    cfg = from_dict(Node, {'joint_names': np.array(['a', 'b'])})
    assert cfg.joint_names == ('a', 'b')


def test_optional_nested_config_errors_name_the_inner_key():
    @dataclass(frozen=True)
    class Outer:
        limits: Limits | None = None

    with pytest.raises(ConfigError, match=r'limits.max_stp: unknown key'):
        from_dict(Outer, {'limits': {'max_stp': 1.0}}, 'o.yaml')
    assert from_dict(Outer, {'limits': None}).limits is None
