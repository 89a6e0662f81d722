"""One closed-loop episode of the whole graph over DDS: the simulated robot, the policy node
and the chunk executor as three processes from their console scripts (or the policy node and
the executor composed in one, ``rtr_graph``, beside the robot's process as on a real robot),
driven through the standard lifecycle services
(``/<node>/change_state``) by an observer node in the calling process, then stopped by SIGINT.

Used by the closed-loop test (test/test_ros_graph.py) and benchmarks/bench_ros.py. The caller
must have run ``rtr_core.ros_env.isolate_ros`` (or equivalent) before rclpy starts in its own
process; every child gets the same domain and localhost-only discovery.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rtr_core.ros_env import ros_env

NODES = ('rtr_sim_robot', 'rtr_chunk_executor', 'rtr_policy')
#: rtr first, the robot last: the robot's activation starts the task (its clock, the expert's
#: plan), so rtr must be waiting for it then, as on a running system an operator starts a
#: task. With the robot first the task ran 0.4-0.7 s before the policy node was active (idle
#: machine) and the arm traced the shape 10-30 ticks behind the expert all episode.
ACTIVATION = ('rtr_chunk_executor', 'rtr_policy', 'rtr_sim_robot')
SCRIPTS = {'rtr_sim_robot': 'sim_robot', 'rtr_chunk_executor': 'chunk_executor',
           'rtr_policy': 'policy_node'}
ABORT = 'terminate called'  # what a process that aborts at exit prints
#: what the observer keeps of every ExecutorState (stamp: the tick's time on the node clock)
TICK_FIELDS = ('stamp', 'tick', 'mode', 'position', 'velocity', 'chunk_id', 'clamped_ticks',
               'planned_actions_left')
#: what it keeps of every ActionChunk (stamp: its observation's; arrival: here, node clock)
CHUNK_FIELDS = ('stamp', 'arrival', 'chunk_id', 'start', 'end', 'inference_duration')


@dataclass
class GraphSpec:
    """What to run: the checkpoints, the nodes' parameter file, the robot's episode."""

    policy_checkpoint: str
    vae_checkpoint: str
    params_file: str  # rtr_bringup/config/rtr_nodes.yaml
    robot: dict = field(default_factory=dict)  # sim robot parameters (name -> value)
    executor: dict = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    composed: bool = False  # policy node + executor in one process (rtr_graph)
    # process name -> CPUs it may run on (`taskset -c`, e.g. '0'); the others: any CPU
    cpus: dict = field(default_factory=dict)


@dataclass
class GraphResult:
    robot: dict  # the simulated robot's episode result (task score, windows/s)
    states: list  # (receive time, chunks_accepted, chunks_rejected, reason) per ExecutorState
    chunk_latency: np.ndarray  # s from each chunk's observation stamp to its arrival here
    ticks: dict  # the executor's state per tick it published (TICK_FIELDS -> array)
    chunks: dict  # every chunk seen on the topic (CHUNK_FIELDS -> array)
    diagnostics: dict  # node name -> its last /diagnostics key-values (tick lateness...)
    exit_codes: dict  # process name -> exit status after SIGINT
    aborted: list  # processes whose output shows an abort at exit
    logs: dict  # process name -> log file

    def rejected_after_first_accepted(self) -> int:
        """Chunks the executor rejected after it had accepted one."""
        accepted_at = next((i for i, s in enumerate(self.states) if s[1] > 0), None)
        if accepted_at is None:
            return 0
        return self.states[-1][2] - self.states[accepted_at][2]


def _ros_args(params: dict) -> list[str]:
    out = []
    for name, value in params.items():
        out += ['-p', f'{name}:={json.dumps(value) if not isinstance(value, str) else value}']
    return out


def _executable(name: str) -> str:
    """A console script beside this interpreter (the venv's bin), else on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f'console script {name!r} not found beside {sys.executable} '
                                'nor on PATH: install the packages (make setup)')
    return found


def commands(spec: GraphSpec) -> dict[str, list[str]]:
    params = {'rtr_sim_robot': spec.robot,
              'rtr_chunk_executor': {'vae_checkpoint': spec.vae_checkpoint, **spec.executor},
              'rtr_policy': {'policy_checkpoint': spec.policy_checkpoint,
                             'vae_checkpoint': spec.vae_checkpoint, **spec.policy}}
    processes = {name: [_executable(SCRIPTS[name]), '--ros-args', '--params-file',
                        spec.params_file, *_ros_args(params[name])] for name in NODES}
    if spec.composed:
        # the executor and the policy node in one process, their parameters as in a YAML
        # file, a section per node; the robot stays a process of its own (ros2_control)
        composed = ('rtr_chunk_executor', 'rtr_policy')
        merged = Path(spec.robot.get('result_path', 'graph')).with_suffix('.params.yaml')
        merged.write_text(json.dumps({name: {'ros__parameters': params[name]}
                                      for name in composed}))
        for name in composed:
            del processes[name]
        processes['rtr_graph'] = [_executable('rtr_graph'), '--ros-args', '--params-file',
                                  spec.params_file, '--params-file', str(merged)]
    unknown = set(spec.cpus) - set(processes)
    if unknown:
        raise ValueError(f'GraphSpec.cpus: no process {sorted(unknown)} in this graph '
                         f'(processes: {sorted(processes)})')
    for name, cpus in spec.cpus.items():  # every thread the process starts inherits it
        processes[name] = ['taskset', '-c', str(cpus), *processes[name]]
    return processes


def run_episode(spec: GraphSpec, out_dir: Path, timeout: float = 120.0,
                log=print) -> GraphResult:
    """Start the processes, configure and activate the nodes, wait for the robot's episode
    result, SIGINT every process and collect what happened."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from lifecycle_msgs.msg import State, Transition
    from lifecycle_msgs.srv import ChangeState, GetState

    from rtr_core.msgs import MessageTypes, seconds_from_time

    out_dir.mkdir(parents=True, exist_ok=True)
    result_path = Path(spec.robot['result_path'])
    result_path.unlink(missing_ok=True)
    env = ros_env(domain_id=int(os.environ['ROS_DOMAIN_ID']))
    env.setdefault('MUJOCO_GL', 'egl')
    env['PYTHONUNBUFFERED'] = '1'
    procs, logs = {}, {}
    for name, cmd in commands(spec).items():
        logs[name] = out_dir / f'{name}.log'
        procs[name] = subprocess.Popen(cmd, env=env, stdout=open(logs[name], 'w'),
                                       stderr=subprocess.STDOUT)
    rclpy.init()
    node = rclpy.create_node('rtr_graph_observer')
    types = MessageTypes.from_ros_packages()
    lock = threading.Lock()
    states, latency, diagnostics, ticks, chunks = [], [], {}, [], []

    def on_state(msg):
        row = (seconds_from_time(msg.header.stamp), int(msg.tick), int(msg.mode),
               np.array(msg.position, float), np.array(msg.velocity, float), int(msg.chunk_id),
               int(msg.clamped_ticks), int(msg.planned_actions_left))
        with lock:
            states.append((time.monotonic(), int(msg.chunks_accepted), int(msg.chunks_rejected),
                           msg.last_rejection_reason))
            ticks.append(row)

    def on_chunk(msg):
        now = node.get_clock().now().nanoseconds * 1e-9
        stamp, start = seconds_from_time(msg.header.stamp), seconds_from_time(msg.start_time)
        period = seconds_from_time(msg.period)
        row = (stamp, now, int(msg.chunk_id), start, start + (int(msg.horizon) - 1) * period,
               seconds_from_time(msg.inference_duration))
        with lock:
            latency.append(now - stamp)
            chunks.append(row)

    def on_diagnostics(msg):
        for status in msg.status:
            with lock:
                diagnostics[status.hardware_id] = {kv.key: kv.value for kv in status.values}

    node.create_subscription(types.ExecutorState, '/rtr/executor_state', on_state, 1000)
    node.create_subscription(types.ActionChunk, '/rtr/action_chunk', on_chunk, 10)
    node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)
    from rclpy.executors import SingleThreadedExecutor

    executor = SingleThreadedExecutor()
    executor.add_node(node)
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.05)

    spinner = threading.Thread(target=spin, name='spin observer')
    spinner.start()
    exit_codes = {}
    try:
        deadline = time.monotonic() + timeout

        goal_states = {Transition.TRANSITION_CONFIGURE: State.PRIMARY_STATE_INACTIVE,
                      Transition.TRANSITION_ACTIVATE: State.PRIMARY_STATE_ACTIVE}

        def call(client, request, what: str, patience: float):
            """The service's answer, or None after ``patience`` s without one."""
            future = client.call_async(request)
            give_up = time.monotonic() + patience
            while not future.done():
                _check_alive(procs, logs)
                if time.monotonic() > deadline:
                    raise TimeoutError(f'{what}: no answer; logs {logs}')
                if time.monotonic() > give_up:
                    client.remove_pending_request(future)
                    return None
                time.sleep(0.05)
            return future.result()

        def service(kind, name: str):
            client = node.create_client(kind, name)
            while not client.wait_for_service(timeout_sec=0.5):
                _check_alive(procs, logs)
                if time.monotonic() > deadline:
                    raise TimeoutError(f'{name} did not appear')
            return client

        def change(target: str, transition: int) -> None:
            """One lifecycle transition. Under load Fast DDS can lose the answer of a service
            whose client it has just discovered (measured: configure never answered, the
            node configured): after 15 s without one, ask the node's state and resend only
            if the transition has not happened."""
            client = service(ChangeState, f'/{target}/change_state')
            states = service(GetState, f'/{target}/get_state')
            request = ChangeState.Request()
            request.transition.id = transition
            goal = goal_states[transition]
            while True:
                answer = call(client, request, f'/{target}/change_state', 15.0)
                if answer is not None:
                    if not answer.success:
                        raise RuntimeError(f'{target}: transition {transition} failed; '
                                           f'see {logs}')
                    break
                state = call(states, GetState.Request(), f'/{target}/get_state', 15.0)
                if state is not None and state.current_state.id == goal:
                    log(f'{target}: the transition\'s answer was lost; the node is there')
                    break
            node.destroy_client(client)
            node.destroy_client(states)

        for target in NODES:  # configure all (loads the models) before anything moves
            change(target, Transition.TRANSITION_CONFIGURE)
        for target in ACTIVATION:
            change(target, Transition.TRANSITION_ACTIVATE)
            log(f'{target} active')
        while not result_path.exists():
            _check_alive(procs, logs)
            if time.monotonic() > deadline:
                raise TimeoutError(f'no episode result in {timeout:.0f} s; logs {logs}')
            time.sleep(0.1)
        robot = json.loads(result_path.read_text())
    finally:
        stop.set()
        spinner.join()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for name, proc in procs.items():
            try:
                exit_codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                exit_codes[name] = proc.wait()
    aborted = [name for name, path in logs.items() if ABORT in path.read_text()]
    with lock:
        return GraphResult(robot, list(states), np.array(latency), _columns(ticks, TICK_FIELDS),
                           _columns(chunks, CHUNK_FIELDS), dict(diagnostics),
                           exit_codes, aborted, {k: str(v) for k, v in logs.items()})


def _columns(rows: list[tuple], fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not rows:
        return {name: np.zeros(0) for name in fields}
    columns = zip(*rows, strict=True)
    return {name: np.array(column) for name, column in zip(fields, columns, strict=True)}


def _check_alive(procs: dict, logs: dict) -> None:
    for name, proc in procs.items():
        if proc.poll() is not None:
            raise RuntimeError(f'{name} exited with {proc.returncode} before the episode '
                               f'ended:\n{logs[name].read_text()[-3000:]}')
