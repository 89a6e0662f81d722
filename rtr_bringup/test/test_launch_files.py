"""Launch files compile and declare the documented arguments (run for real under ROS)."""

import ast
from pathlib import Path

import pytest

LAUNCH = Path(__file__).resolve().parents[1] / 'launch'
DOCS = Path(__file__).resolve().parents[2] / 'docs' / 'ros2.md'


def declared_arguments(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == 'ARGUMENTS':
            return [elt.elts[0].value for elt in node.value.elts]
    raise AssertionError(f'{path.name}: no ARGUMENTS list')


@pytest.mark.parametrize('name', sorted(p.name for p in LAUNCH.glob('*.launch.py')))
def test_launch_file_compiles_and_declares_arguments(name):
    path = LAUNCH / name
    compile(path.read_text(), str(path), 'exec')
    args = declared_arguments(path)
    assert len(args) == len(set(args)), 'duplicate launch argument'
    assert 'generate_launch_description' in path.read_text()
    if DOCS.exists():
        doc = DOCS.read_text()
        missing = [a for a in args if f'`{a}`' not in doc]
        assert not missing, f'{name}: arguments not documented in docs/ros2.md: {missing}'


def test_sim_launch_forwards_only_real_robot_arguments():
    real = set(declared_arguments(LAUNCH / 'real_robot.launch.py'))
    assert set(declared_arguments(LAUNCH / 'sim.launch.py')) <= real


def test_every_node_parameter_is_documented():
    from rtr_chunk_executor.config import ExecutorNodeConfig
    from rtr_core.config import flatten
    from rtr_policy_node.config import PolicyNodeConfig

    doc = DOCS.read_text()
    for cls in (ExecutorNodeConfig, PolicyNodeConfig):
        for name in flatten(cls()):
            group = name.rsplit('.', 1)[0] + '.*' if name.count('.') >= 1 else name
            assert f'`{name}`' in doc or f'`{group}`' in doc or \
                f'.{name.rsplit(".", 1)[-1]}`' in doc, f'{cls.__name__}: {name} not in ros2.md'
