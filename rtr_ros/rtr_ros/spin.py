"""Run nodes until SIGINT or SIGTERM, stably: one SingleThreadedExecutor per node, each spun
in its own thread, all joined before rclpy shuts down.

Why not one MultiThreadedExecutor: measured (design/ros2.md), both nodes and a robot on one
MultiThreadedExecutor collapsed in 11 of 21 runs (its spin thread busy-looped holding the
GIL); and an executor thread left running at exit aborts the process
(``terminate called without an active exception``). Our own signal handler (rclpy's is off)
keeps the context alive until every node has shut down, so the executor can still send its
final hold.
"""

from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode
from rclpy.signals import SignalHandlerOptions

from rtr_core.errors import RtrError

SPIN_TIMEOUT = 0.1  # s: how soon a spin thread notices the stop request when idle


def run_nodes(factories: Sequence[Callable[[], object]], args: Sequence[str] | None = None,
              stop: threading.Event | None = None) -> int:
    """Build the nodes (``factories`` are called after ``rclpy.init``), spin each in its own
    thread until SIGINT/SIGTERM (or ``stop`` is set, or a spin thread fails), then shut every
    lifecycle node down (on_shutdown runs with the context alive), destroy the nodes and shut
    rclpy down. Returns the exit status: 0, or 1 if a node failed."""
    stop = stop or threading.Event()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    previous = _on_signals(stop)
    nodes, spinners, failed = [], [], []
    try:
        for make in factories:
            nodes.append(make())
        for node in nodes:
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            thread = threading.Thread(target=_spin, args=(executor, node, stop, failed),
                                      name=f'spin-{node.get_name()}')
            spinners.append((executor, thread))
            thread.start()
        while not stop.wait(0.2):  # short waits: signal handlers run between them
            pass
    except RtrError as exc:  # bad parameters, a missing file or topic: one clear line
        failed.append(str(exc))
        print(f'error: {exc}', flush=True)
    except Exception:
        failed.append(traceback.format_exc())
        print(failed[-1], flush=True)
    finally:
        stop.set()
        for _, thread in spinners:
            thread.join()
        for executor, _ in spinners:
            executor.shutdown()
        for node in reversed(nodes):
            _close(node, failed)
        rclpy.try_shutdown()
        _restore(previous)
    return 1 if failed else 0


def _spin(executor, node, stop: threading.Event, failed: list) -> None:
    try:
        while not stop.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=SPIN_TIMEOUT)
    except Exception:
        failed.append(traceback.format_exc())
        node.get_logger().error(f'spin thread failed, stopping:\n{failed[-1]}')
        stop.set()


def _close(node, failed: list) -> None:
    """Lifecycle shutdown from whatever state the node is in, then destroy it."""
    try:
        if isinstance(node, LifecycleNode) and node._state_machine.current_state[1] in (
                'unconfigured', 'inactive', 'active'):
            node.trigger_shutdown()
    except Exception:
        failed.append(traceback.format_exc())
        node.get_logger().error(f'shutdown failed:\n{failed[-1]}')
    node.destroy_node()


def _on_signals(stop: threading.Event) -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}  # signals are only delivered to the main thread (e.g. a test runs us)
    return {sig: signal.signal(sig, lambda *_: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
