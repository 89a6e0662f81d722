"""Launch files compile and declare the documented arguments (run for real under ROS)."""

import ast
from pathlib import Path

import pytest

LAUNCH = Path(__file__).resolve().parents[1] / 'launch'
DOCS = Path(__file__).resolve().parents[2] / 'docs' / 'ros2.md'


def argument_defaults(path):
    """{name: default} of the launch file's ARGUMENTS list (a string default as written,
    a substitution as None)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == 'ARGUMENTS':
            return {elt.elts[0].value: getattr(elt.elts[1], 'value', None)
                    for elt in node.value.elts}
    raise AssertionError(f'{path.name}: no ARGUMENTS list')


def declared_arguments(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == 'ARGUMENTS':
            return [elt.elts[0].value for elt in node.value.elts]
    raise AssertionError(f'{path.name}: no ARGUMENTS list')


def calls(path, name):
    """Every call of ``name`` (a plain or attribute name) in the launch file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and
            getattr(n.func, 'id', getattr(n.func, 'attr', None)) == name]


def condition_of(call):
    """Source of the ``condition=`` keyword of a call (None without one)."""
    for kw in call.keywords:
        if kw.arg == 'condition':
            return ast.unparse(kw.value)
    return None


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


def test_nodes_wait_for_an_operator_unless_autostart():
    """Nothing moves at launch: the lifecycle transitions are emitted only with autostart."""
    for name in ('real_robot.launch.py', 'sim.launch.py'):
        assert argument_defaults(LAUNCH / name)['autostart'] == 'false', name
    path = LAUNCH / 'real_robot.launch.py'
    configure = [c for c in calls(path, 'EmitEvent')
                 if 'TRANSITION_CONFIGURE' in ast.unparse(c)]
    handlers = calls(path, 'RegisterEventHandler')
    assert configure and handlers
    assert {condition_of(c) for c in configure + handlers} == {'autostart'}
    assert "IfCondition(cfg['autostart'])" in path.read_text()
    for command in ('configure', 'activate'):  # documented for the operator
        assert f'ros2 lifecycle set /rtr_chunk_executor {command}' in path.read_text()
        assert f'ros2 lifecycle set /rtr_chunk_executor {command}' in DOCS.read_text()


def test_ft_broadcaster_is_optional():
    path = LAUNCH / 'real_robot.launch.py'
    assert argument_defaults(path)['use_ft_broadcaster'] == 'false'
    spawners = calls(path, 'spawner')
    ft = [c for c in spawners if "cfg['ft_broadcaster']" in ast.unparse(c)]
    assert len(ft) == 1 and ast.unparse(ft[0].args[1]) == \
        "IfCondition(cfg['use_ft_broadcaster'])"
    others = [c for c in spawners if c not in ft]
    assert others and all(len(c.args) == 1 and not c.keywords for c in others)
    # the rtr arm has the sensor: the mock-hardware launch spawns it
    assert argument_defaults(LAUNCH / 'sim.launch.py')['use_ft_broadcaster'] == 'true'


def test_package_xml_lists_what_the_launch_files_import_and_nothing_for_the_sim():
    import xml.etree.ElementTree as ET

    root = ET.parse(LAUNCH.parent / 'package.xml').getroot()
    depends = {e.text for e in root.iter('exec_depend')}
    assert {'lifecycle_msgs', 'launch', 'launch_ros'} <= depends
    assert not {'rtr_sim', 'rtr_training'} & depends  # no MuJoCo or training on the robot
    imported = set()
    for path in LAUNCH.glob('*.launch.py'):
        tree = ast.parse(path.read_text())
        imported |= {n.module.split('.')[0] for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name.split('.')[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names}
    assert imported <= depends, imported - depends
