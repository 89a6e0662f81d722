"""The graph runner's command lines: CPU pinning (bench_ros --pin) wraps a process in
`taskset -c`, and a process the graph does not have is refused by name."""

import pytest

pytest.importorskip('rclpy', reason='ROS 2 (rclpy) is not installed: `make setup` installs it '
                    'from PyPI (Linux x86_64, Python 3.10-3.12)')


pytestmark = pytest.mark.ros


def _spec(tmp_path, **kw):
    from rtr_ros.graph_run import GraphSpec

    return GraphSpec('policy.pt', 'vae.pt', 'rtr_nodes.yaml',
                     robot={'result_path': str(tmp_path / 'result.json')}, **kw)


def test_a_pinned_process_runs_under_taskset(tmp_path):
    from rtr_ros.graph_run import commands

    free = commands(_spec(tmp_path))
    pinned = commands(_spec(tmp_path, cpus={'rtr_chunk_executor': '0', 'rtr_policy': '1'}))
    assert pinned['rtr_chunk_executor'] == ['taskset', '-c', '0', *free['rtr_chunk_executor']]
    assert pinned['rtr_policy'][:3] == ['taskset', '-c', '1']
    assert pinned['rtr_sim_robot'] == free['rtr_sim_robot']
    composed = commands(_spec(tmp_path, composed=True, cpus={'rtr_graph': '0'}))
    assert composed['rtr_graph'][:3] == ['taskset', '-c', '0']


def test_pinning_a_process_the_graph_does_not_have_names_it(tmp_path):
    from rtr_ros.graph_run import commands

    with pytest.raises(ValueError, match=r"no process \['rtr_graph'\]"):
        commands(_spec(tmp_path, cpus={'rtr_graph': '0'}))  # not composed
