"""``rtr_graph``: the policy node and the chunk executor in ONE process, as stable as two
processes: each node has its own SingleThreadedExecutor spun in its own thread, all joined
before rclpy shuts down (rtr_ros.spin.run_nodes; one MultiThreadedExecutor for all collapsed
in 11 of 21 runs).

ROS arguments after ``--ros-args`` are the nodes' (``--params-file config/rtr_nodes.yaml``
has a section per node). Without ``--activate`` the nodes wait in ``unconfigured`` for the
usual lifecycle services; with it they are configured and activated at start, the executor
first, then the policy. The robot (ros2_control, or ``sim_robot``) is a process of its own:
the simulator in this process competed with inference for the GIL (the demo policy's
inference, 90 ms alone on an idle core, took 0.56-0.92 s beside the 600 Hz physics on 2
cores at load 4.5-9; chunks arrived stale). One torch thread is shared by both nodes
(``torch.set_num_threads`` is process-global).

The one module of rtr_bringup that imports rclpy: a composition of the nodes, as the launch
files are; the ``rtr`` command line never imports it.

    rtr_graph --activate --ros-args --params-file rtr_bringup/config/rtr_nodes.yaml \\
        -p policy_checkpoint:=checkpoints/demo/latent_60hz.pt ...
"""

from __future__ import annotations

import argparse
import sys

from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.utilities import remove_ros_args

from rtr_ros.spin import run_nodes


def node_factories(activate: bool) -> list:
    """The node constructors in start order (each configured and activated if asked)."""
    from rtr_chunk_executor.executor_node import ChunkExecutorNode
    from rtr_policy_node.policy_node import PolicyNode

    return [_started(cls) if activate else cls for cls in (ChunkExecutorNode, PolicyNode)]


def _started(cls):
    def make():
        node = cls()
        for name in ('configure', 'activate'):
            result = getattr(node, f'trigger_{name}')()
            if result != TransitionCallbackReturn.SUCCESS:
                raise RuntimeError(f'{node.get_name()}: {name} failed ({result}); see its log')
        return node
    return make


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    parser = argparse.ArgumentParser(prog='rtr_graph', description=__doc__.split('\n\n')[0])
    parser.add_argument('--activate', action='store_true',
                        help='configure and activate every node at start')
    args = parser.parse_args(remove_ros_args(argv)[1:])
    return run_nodes(node_factories(args.activate), argv)
