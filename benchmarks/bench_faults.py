"""Runtime faults over minutes of simulated time: does inference keep the robot supplied?

The real :class:`~rtr_core.inference.InferenceWorker` (trigger, confirmation of every chunk,
failure handling) and the real :class:`~rtr_core.executor.executor.ChunkExecutor` (``rtr``,
anchored hand-overs, default limits) run on one simulated clock at 60 Hz, the worker stepped
with ``take_request`` / ``run_once`` instead of its thread. The policy stand-in observes the
executed joint state and returns 48 actions of a reference motion plus a smooth prediction
error (rtr_core.evaluation.chunk_stream); every chunk reaches the executor 250 ms +- 20 %
later (inference and network together). The reference is real human motion: the LASA
handwriting demonstrations of one shape, drawn forwards and backwards in turn (they share
their end point, so the motion is continuous), mapped linearly onto 7 joints.

Faults, each drawn per chunk (or per inference) with probability ``p``:

- ``lost``: the chunk never reaches the executor (DDS discovery, a full queue);
- ``rejected``: it arrives with a NaN, the executor rejects it (and says which chunk);
- ``raises``: the policy raises (RuntimeError, MemoryError, KeyError in turn);
- ``merge_jump``: while a chunk is being merged the executor's clock jumps back by 100 s (a
  bag replay restarting), every ``jump_every`` seconds.

Measured: the longest gap between two inference starts, against the fault-free run's median
gap (the chunk period); holding (starved) ticks; counters of both sides. For ``merge_jump``,
the lock-out: from each jump to the first executed tick of a chunk on the new clock.

Run: ``.venv/bin/python benchmarks/bench_faults.py [--minutes 10] [--p 0.05] [--seed 0]``
"""

from __future__ import annotations

import argparse
import heapq
import logging
import os
import platform
import time
from dataclasses import dataclass, field, replace

import numpy as np

from rtr_core.boundary.base import BoundaryStrategy
from rtr_core.chunk import Chunk
from rtr_core.evaluation.chunk_stream import StreamConfig, _error
from rtr_core.executor.config import ExecutorConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_EXECUTING, MODE_HOLDING
from rtr_core.inference import InferenceWorker, LatestInputs

T = 1.0 / 60.0
H = 48
LATENCY = 0.25
JUMP = -100.0
JOINTS = ExecutorConfig().joint_names
FAULTS = ('none', 'lost', 'rejected', 'lost+rejected', 'raises', 'merge_jump')


def lasa_reference(seconds: float, shape: str = 'GShape', seed: int = 0) -> np.ndarray:
    """(N, 7) joint positions at 60 Hz for ``seconds``: the shape's demos forwards and
    backwards in turn, each mapped onto the joints by one fixed linear map."""
    from rtr_core.datasets.lasa import shape_path

    mix = np.random.default_rng(seed).normal(0.0, 1.0, (2, len(JOINTS)))
    paths = [shape_path(shape, d, size=0.6)[1] @ mix for d in range(7)]
    rows, d = [paths[0]], 1
    while sum(len(r) for r in rows) < seconds / T + H + 1:
        rows += [paths[d % 7][::-1], paths[d % 7]]
        d += 1
    return np.vstack(rows) + np.linspace(-0.5, 0.5, len(JOINTS))


class MergeHook(BoundaryStrategy):
    """Wraps a strategy; when armed, runs ``hook`` in the middle of the next merge (the
    receiving thread in a node: here, deterministically, the same one)."""

    def __init__(self, inner: BoundaryStrategy):
        super().__init__(inner.config, inner.refiner)
        self.inner = inner
        self.name = inner.name
        self.hook = None

    def merge(self, ctx):
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return self.inner.merge(ctx)

    def reset(self) -> None:
        self.inner.reset()


@dataclass
class Result:
    fault: str
    seconds: float
    inferences: int = 0  # inference starts (run_once)
    published: int = 0
    accepted: int = 0
    rejected: int = 0
    injected: int = 0  # chunks lost or corrupted, policy errors, clock jumps
    policy_failures: int = 0  # counted by the worker
    unconfirmed: int = 0  # given up on by the worker after its timeout
    worker_rejected: int = 0  # reported rejected to the worker by the executor
    gaps: list[float] = field(default_factory=list)
    holding_ticks: int = 0
    lockouts: list[float] = field(default_factory=list)
    wall: float = 0.0

    @property
    def longest_gap(self) -> float:
        return max(self.gaps) if self.gaps else float('inf')


def run(fault: str = 'none', seconds: float = 600.0, p: float = 0.05, seed: int = 0,
        jump_every: float = 20.0, reference: np.ndarray | None = None) -> Result:
    """One closed loop of ``seconds`` simulated seconds with ``fault`` at probability ``p``."""
    t_wall = time.perf_counter()
    rng = np.random.default_rng(seed)
    ref = lasa_reference(seconds) if reference is None else reference
    executor = ChunkExecutor(ExecutorConfig())
    hooked = MergeHook(executor.strategy)
    executor.strategy = hooked
    stream = StreamConfig(horizon=H, error=0.005, seed=seed)
    now = [0.0]  # the simulated clock, jumps included
    out = Result(fault, seconds)
    deliveries: list[tuple[float, int, Chunk]] = []  # (arrival in run time, id, chunk)
    jumps: list[float] = []  # run times of the clock jumps
    offset = [0.0]
    run_time = [0.0]

    def predict(observation, rtc):
        if fault == 'raises' and rng.random() < p:
            out.injected += 1
            kind = (RuntimeError, MemoryError, KeyError)[out.injected % 3]
            raise kind('injected policy failure')
        i = int(round((observation.stamp - offset[0]) / T))
        rows = ref[np.clip(i + np.arange(1, H + 1), 0, len(ref) - 1)]
        positions = rows + _error(rng, H, len(JOINTS), stream)
        return Chunk(observation.stamp, observation.stamp + T, T, JOINTS, positions)

    def publish(chunk):
        out.published += 1
        lost = fault in ('lost', 'lost+rejected') and rng.random() < p
        bad = fault in ('rejected', 'lost+rejected') and not lost and rng.random() < p
        if lost:
            out.injected += 1
            return
        if bad:
            out.injected += 1
            positions = chunk.positions.copy()
            positions[rng.integers(H), rng.integers(len(JOINTS))] = np.nan
            chunk = replace(chunk, positions=positions)
        arrival = run_time[0] + LATENCY * (1.0 + rng.uniform(-0.2, 0.2))
        heapq.heappush(deliveries, (arrival, chunk.chunk_id, chunk))

    inputs = LatestInputs(JOINTS, ('joint_positions',))
    worker = InferenceWorker(predict, inputs, publish, lambda: now[0], stale_after=0.5)
    executor.start(ref[0], 0.0)
    last_start = None
    next_jump = jump_every if fault == 'merge_jump' else np.inf
    for k in range(int(round(seconds / T))):
        run_time[0] = k * T
        now[0] = k * T + offset[0]
        while deliveries and deliveries[0][0] <= run_time[0] + 1e-9:
            _, _, chunk = heapq.heappop(deliveries)
            if run_time[0] >= next_jump:  # the clock jumps while this chunk is merged

                def jump():
                    offset[0] += JUMP
                    now[0] = run_time[0] + offset[0]
                    executor.tick(now[0])

                hooked.hook = jump
                next_jump += jump_every
                jumps.append(run_time[0])
                out.injected += 1
            reception = executor.receive(chunk, now[0])
            out.accepted += reception.accepted
            out.rejected += not reception.accepted
        result = executor.tick(now[0])
        out.holding_ticks += result.mode == MODE_HOLDING
        if jumps and len(out.lockouts) < len(jumps) and result.mode == MODE_EXECUTING \
                and result.chunk_id and run_time[0] > jumps[-1]:
            out.lockouts.append(run_time[0] - jumps[-1])
        inputs.put_joint_state(now[0], JOINTS, result.position)
        worker.on_executor_state(executor.state())
        if worker.take_request():
            if last_start is not None:
                out.gaps.append(run_time[0] - last_start)
            last_start = run_time[0]
            out.inferences += 1
            worker.run_once()
    stats = worker.stats()
    out.policy_failures = stats.failed
    out.unconfirmed = stats.unconfirmed
    out.worker_rejected = stats.rejected
    out.wall = time.perf_counter() - t_wall
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--minutes', type=float, default=10.0)
    parser.add_argument('--p', type=float, default=0.05)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    logging.getLogger('rtr').setLevel(logging.CRITICAL)  # every fault is logged otherwise
    seconds = args.minutes * 60.0
    ref = lasa_reference(seconds)
    t0 = time.perf_counter()
    results = [run(f, seconds, args.p, args.seed, reference=ref) for f in FAULTS]
    period = float(np.median(results[0].gaps))
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, python '
          f'{platform.python_version()}, load {os.getloadavg()[0]:.2f}; '
          f'{time.perf_counter() - t0:.0f} s for {len(FAULTS)} runs of {args.minutes:g} '
          f'simulated minutes, p = {args.p:g}, seed {args.seed}\n')
    print(f'Chunk period (median gap between inference starts without faults): '
          f'{period * 1e3:.0f} ms.\n')
    print('| fault | injected | inferences | accepted | rejected | policy failures counted | '
          'unconfirmed (timeout) | rejections reported | longest gap | longest gap / period | '
          'holding ticks | lock-out after a jump (max) | wall |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    failed = False
    for r in results:
        ratio = r.longest_gap / period
        lock = f'{max(r.lockouts) * 1e3:.0f} ms ({len(r.lockouts)} jumps)' if r.lockouts \
            else '-'
        print(f'| {r.fault} | {r.injected:,} | {r.inferences:,} | {r.accepted:,} | '
              f'{r.rejected:,} | {r.policy_failures:,} | {r.unconfirmed:,} | '
              f'{r.worker_rejected:,} | {r.longest_gap * 1e3:.0f} ms | {ratio:.2f} | '
              f'{r.holding_ticks:,} | {lock} | {r.wall:.0f} s |')
        failed |= ratio > 2.0
    return 1 if failed else 0


if __name__ == '__main__':
    raise SystemExit(main())
