"""The colcon workspace: every package is a correct ament package and pip-installable."""

import ast
import configparser
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON_PACKAGES = ['rtr_core', 'rtr_sim', 'rtr_training', 'rtr_ros', 'rtr_sim_robot',
                   'rtr_policy_node', 'rtr_chunk_executor', 'rtr_bringup']
ROS_ONLY = ('rclpy', 'launch_ros', 'launch', 'cv_bridge', 'lifecycle_msgs', 'rcl_interfaces',
            'diagnostic_msgs', 'rosgraph_msgs')
# the packages that may import rclpy: the shared rclpy glue and the nodes
NODE_PACKAGES = ('rtr_ros', 'rtr_policy_node', 'rtr_chunk_executor', 'rtr_sim_robot')
# the modules outside them that may: rtr_graph (rtr_bringup composes the nodes in one
# process, as its launch files do in several) and the ROS benchmark
ROS_MODULES = ('rtr_bringup/rtr_bringup/graph.py', 'rtr_bringup/rtr_bringup/demo/ros_run.py',
               'benchmarks/bench_ros.py')
NOT_SOURCE = ('build', 'install', 'log', 'runs', 'checkpoints')
# PyPI's colcon-common-extensions beside this interpreter (`make setup` puts it in .venv; a
# ROS install has it in /usr/bin). Not the first `colcon` on PATH: Debian's own `colcon`
# package is colcon-core alone, without the `list` verb or ament package identification.
COLCON = shutil.which('colcon', path=str(Path(sys.executable).parent))


def manifest(pkg):
    return ET.parse(ROOT / pkg / 'package.xml').getroot()


@pytest.mark.parametrize('pkg', PYTHON_PACKAGES)
def test_ament_python_layout(pkg):
    root = manifest(pkg)
    assert root.attrib['format'] == '3'
    assert root.findtext('name') == pkg
    assert root.findtext('license') == 'Apache-2.0'
    assert root.find('export/build_type').text == 'ament_python'
    assert (ROOT / pkg / 'resource' / pkg).is_file()
    assert (ROOT / pkg / pkg / '__init__.py').is_file()
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / pkg / 'setup.cfg')
    assert cfg['develop']['script_dir'] == f'$base/lib/{pkg}'
    assert cfg['install']['install_scripts'] == f'$base/lib/{pkg}'
    setup_py = (ROOT / pkg / 'setup.py').read_text()
    assert f"'resource/{pkg}'" in setup_py or "'resource/' + package_name" in setup_py
    assert "share/ament_index/resource_index/packages" in setup_py
    assert importlib.metadata.version(pkg) == root.findtext('version')


def test_message_package():
    root = manifest('rtr_msgs')
    assert root.attrib['format'] == '3'
    assert root.find('export/build_type').text == 'ament_cmake'
    assert root.findtext('member_of_group') == 'rosidl_interface_packages'
    cmake = (ROOT / 'rtr_msgs' / 'CMakeLists.txt').read_text()
    for msg in sorted((ROOT / 'rtr_msgs' / 'msg').glob('*.msg')):
        assert f'"msg/{msg.name}"' in cmake, f'{msg.name} missing from rosidl_generate_interfaces'


def test_torch_is_pinned_everywhere():
    for path in list(ROOT.glob('*/setup.py')) + [ROOT / 'constraints.txt', ROOT / 'Makefile']:
        for line in path.read_text().splitlines():
            m = re.search(r"torch\b([^'\"\s,]*)", line)
            if m and 'torch' in line and not line.lstrip().startswith('#'):
                assert m.group(1) in ('==2.13.0', ''), f'{path}: {line.strip()}'
                if m.group(1) == '':
                    assert 'import' in line or 'torch==2.13.0' in line or 'torchrun' in line, (
                        f'{path}: unpinned torch in {line.strip()!r}')


def _python_files():
    """Every .py file of the repository (not the venv, colcon's folders or checkpoints)."""
    for top in sorted(ROOT.iterdir()):
        if top.name.startswith('.') or top.name in NOT_SOURCE:
            continue
        if top.is_dir():
            yield from sorted(top.rglob('*.py'))
        elif top.suffix == '.py':
            yield top


def _may_import_ros(rel: Path) -> bool:
    return (rel.parts[0] in NODE_PACKAGES or 'launch' in rel.parts or 'test' in rel.parts
            or rel.name == 'conftest.py' or rel.as_posix() in ROS_MODULES)


def test_ros_imports_stay_in_nodes_and_launch_files():
    """rclpy (and what needs it, rtr_ros included) only in the node packages, launch files,
    tests and the few modules named in ROS_MODULES; everything else runs without ROS."""
    imports = ROS_ONLY + ('rtr_ros',)
    pattern = re.compile(r'^\s*(import|from)\s+(' + '|'.join(imports) + r')\b', re.M)
    offenders = [str(path.relative_to(ROOT)) for path in _python_files()
                 if not _may_import_ros(path.relative_to(ROOT))
                 and pattern.search(path.read_text())]
    assert offenders == []


@pytest.mark.skipif(COLCON is None, reason=f'no colcon beside {sys.executable}: `make setup` '
                    'installs colcon-common-extensions into .venv')
def test_colcon_lists_every_package():
    out = subprocess.run([COLCON, 'list', '--names-only'], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert sorted(out) == sorted(PYTHON_PACKAGES + ['rtr_msgs'])


@pytest.mark.parametrize('pkg', PYTHON_PACKAGES)
def test_colcon_test_runs_pytest_for_every_python_package(pkg):
    """colcon runs an ament_python package's pytest tests only if setup.py declares pytest
    as a test dependency (it ran 0 tests before the `test` extra)."""
    tree = ast.parse((ROOT / pkg / 'setup.py').read_text())
    extras = [ast.literal_eval(kw.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
              for kw in node.keywords if kw.arg == 'extras_require']
    assert extras and 'pytest' in extras[0].get('test', []), f'{pkg}/setup.py: no test extra'


@pytest.mark.slow
@pytest.mark.skipif(COLCON is None, reason=f'no colcon beside {sys.executable}: `make setup` '
                    'installs colcon-common-extensions into .venv')
def test_colcon_builds_and_tests_a_package_with_the_venv_as_underlay(tmp_path):
    """`colcon build` and `colcon test` on the workspace, the venv (ROS from PyPI) as the
    underlay, as docs/ros2.md says; `colcon test-result` reports the package's tests.
    Its workspace dependencies come from the venv too (rtr_msgs built there by make setup,
    rtr_core and rtr_ros installed editable), so that only the package itself is built here."""
    pkg = 'rtr_chunk_executor'
    from_venv = ['--packages-ignore', 'rtr_msgs', 'rtr_core', 'rtr_ros']
    env = dict(os.environ, AMENT_PREFIX_PATH=sys.prefix, CMAKE_PREFIX_PATH=sys.prefix)
    bases = {'build': ['--build-base', str(tmp_path / 'build'),
                       '--install-base', str(tmp_path / 'install')],
             'test': ['--build-base', str(tmp_path / 'build'),
                      '--install-base', str(tmp_path / 'install'),
                      # its parameter tests (fast): colcon's plumbing is tested here, not the node
                      '--pytest-args', '-k', 'parameters']}
    for verb in ('build', 'test'):
        done = subprocess.run([COLCON, '--log-base', str(tmp_path / 'log'), verb,
                               '--packages-select', pkg, *from_venv, *bases[verb]],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f'colcon {verb}:\n{done.stdout}\n{done.stderr}'
    result = subprocess.run([COLCON, 'test-result', '--all', '--test-result-base',
                             str(tmp_path / 'build')], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r'Summary: (\d+) tests, (\d+) errors, (\d+) failures, (\d+) skipped',
                        result.stdout)
    assert summary, result.stdout
    tests, errors, failures, _ = map(int, summary.groups())
    assert tests >= 2 and errors == failures == 0, result.stdout
    report = (tmp_path / 'build' / pkg / 'pytest.xml').read_text()
    assert 'test_unknown_or_mistyped_parameters_fail' in report
