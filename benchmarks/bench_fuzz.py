"""Fuzzing the chunk path: mutated ActionChunk messages through CDR, decoding, validation and
the executor of every boundary strategy, with the safety invariants checked on every tick.

Each message starts as a plausible chunk (H = 48 at 60 Hz, near the executor's command, inside
the rtr_sim arm's limits) and gets 0-3 mutations (:data:`MUTATIONS`): NaN/Inf/huge values,
positions outside the joint limits or far from the command, horizon and array length
mismatches, missing/unknown/duplicate/reordered joints, zero/negative/huge/tiny periods,
stamps and start times far in the past or future, a nanosecond field over 1e9, mismatched
velocities and latents, out-of-order and duplicated chunks, and corrupted CDR bytes. The bytes
are decoded like a subscriber would (rosbags CDR), converted with ``chunk_from_msg`` and given
to :meth:`ChunkExecutor.receive`; the executor then ticks 1-12 times (sometimes missing a tick).

Checked on every tick: no exception, the command and every point of the streamed JTC window
inside the position limits, no step between consecutive commands (or window points) larger
than the per-tick limit times the ticks elapsed. Counted: decode errors (clear
MessageFormatError), rejections per kind, accepted chunks, crashes (anything else).

``rtr`` and ``rtr_paper`` refine through an action VAE of the default architecture with the
arm's limits as normaliser and random weights (seeded): robustness must not depend on what the
network learnt.

Run: ``.venv/bin/python benchmarks/bench_fuzz.py [--chunks 10000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from rtr_core.errors import RtrError
from rtr_core.executor.config import ExecutorConfig, SafetyConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_EXECUTING
from rtr_core.executor.validation import KINDS
from rtr_core.msgs import MessageTypes, chunk_from_msg, typestore

STRATEGIES = ('sync', 'naive', 'weighted_average', 'temporal_ensemble', 'crossfade',
              'rtr_paper', 'rtr')
MSGTYPE = 'rtr_msgs/msg/ActionChunk'
PERIOD = 1.0 / 60.0
HORIZON = 48
INT32 = 2**31 - 1
UINT32 = 2**32 - 1


def arm_executor_config(strategy: str) -> ExecutorConfig:
    """The deployed limits: rtr_sim's arm (position, velocity, acceleration; step = v / 60)."""
    from rtr_sim.arm.spec import arm_spec

    arm = arm_spec()
    safety = SafetyConfig(position_lower=tuple(arm.lower), position_upper=tuple(arm.upper),
                          max_velocity=tuple(arm.max_velocity),
                          max_acceleration=tuple(arm.max_acceleration),
                          max_jerk=tuple(arm.max_jerk),
                          max_step=tuple(arm.max_velocity * PERIOD))
    return ExecutorConfig(joint_names=arm.joint_names, strategy=strategy, safety=safety)


def random_vae(config: ExecutorConfig, seed: int = 0):
    """An ActionVAE of the default architecture over the executor's joints, random weights."""
    import torch

    from rtr_core.vae import ActionVAE, VAEConfig
    from rtr_core.vae.normaliser import MinMaxNormaliser

    torch.manual_seed(seed)
    names = config.joint_names
    return ActionVAE(VAEConfig(horizon=HORIZON, action_dim=len(names), dt=PERIOD,
                               per_joint=False),
                     MinMaxNormaliser(config.limit('position_lower'),
                                      config.limit('position_upper')), names)


def make_executor(strategy: str, vae=None) -> ChunkExecutor:
    config = arm_executor_config(strategy)
    if strategy in ('rtr', 'rtr_paper') and vae is None:
        vae = random_vae(config)
    return ChunkExecutor(config, action_vae=vae if strategy in ('rtr', 'rtr_paper') else None)


# --- messages as plain fields, mutated, then built ------------------------------------------


def _raw(seconds: float) -> tuple[int, int]:
    total = int(round(seconds * 1e9))
    sec, nanosec = divmod(total, 1_000_000_000)
    return int(np.clip(sec, -INT32 - 1, INT32)), nanosec


def _rows(f) -> np.ndarray | None:
    """The positions as (H, J) when the fields still agree (earlier mutations may break it)."""
    p, h, j = f['positions'], f['horizon'], len(f['joint_names'])
    return p.reshape(h, j) if h > 0 and j > 0 and p.size == h * j else None


def _nan(f, rng, ctx):
    p = f['positions']
    if not p.size:
        return
    p[rng.integers(0, p.size, rng.integers(1, 4))] = np.nan


def _inf(f, rng, ctx):
    p = f['positions']
    if not p.size:
        return
    p[rng.integers(0, p.size, rng.integers(1, 4))] = rng.choice([np.inf, -np.inf])


def _huge(f, rng, ctx):
    p = f['positions']
    if not p.size:
        return
    p[rng.integers(0, p.size, rng.integers(1, 8))] = rng.choice([-3e38, 3e38, 1e20, -1e9])


def _out_of_limit(f, rng, ctx):
    p = _rows(f)
    if p is None or p.shape[1] != ctx.lower.size:
        return
    j = rng.integers(0, p.shape[1])
    sign = rng.choice([-1.0, 1.0])
    limit = ctx.upper[j] if sign > 0 else ctx.lower[j]
    p[:, j] = limit + sign * rng.uniform(0.01, 3.0) * np.linspace(0, 1, p.shape[0])


def _far_jump(f, rng, ctx):
    p = _rows(f)
    if p is None or p.shape[1] != ctx.lower.size:
        return
    p[:] = rng.uniform(ctx.lower, ctx.upper)[None, :].astype(np.float32)


def _horizon_mismatch(f, rng, ctx):
    f['horizon'] = max(0, f['horizon'] + int(rng.choice([-2, -1, 1, 3, 1000])))


def _truncate_positions(f, rng, ctx):
    f['positions'] = f['positions'][:rng.integers(0, f['positions'].size + 1)]


def _missing_joint(f, rng, ctx):
    p = _rows(f)
    if p is None:
        return
    j = int(rng.integers(0, len(f['joint_names'])))
    f['joint_names'] = f['joint_names'][:j] + f['joint_names'][j + 1:]
    f['positions'] = np.delete(p, j, axis=1).reshape(-1)


def _unknown_joint(f, rng, ctx):
    p = _rows(f)
    if p is None:
        return
    f['joint_names'] = f['joint_names'] + [str(rng.choice(['gripper', 'joint_8', '',
                                                          'JOINT_1']))]
    f['positions'] = np.hstack([p, np.zeros((p.shape[0], 1), np.float32)]).reshape(-1)


def _rename_joint(f, rng, ctx):
    names = list(f['joint_names'])
    if not names:
        return
    names[rng.integers(0, len(names))] = str(rng.choice(['joint_9', 'wrist', ' joint_1']))
    f['joint_names'] = names


def _duplicate_joint(f, rng, ctx):
    names = list(f['joint_names'])
    if len(names) < 2:
        return
    i, j = rng.choice(len(names), 2, replace=False)
    names[i] = names[j]
    f['joint_names'] = names


def _shuffle_joints(f, rng, ctx):
    p = _rows(f)
    if p is None:
        return
    order = rng.permutation(len(f['joint_names']))
    f['joint_names'] = [f['joint_names'][i] for i in order]
    f['positions'] = p[:, order].reshape(-1).copy()


def _no_joints(f, rng, ctx):
    f['joint_names'], f['positions'] = [], f['positions'][:0]


def _dt_zero(f, rng, ctx):
    f['period'] = (0, 0)


def _dt_negative(f, rng, ctx):
    f['period'] = (int(rng.choice([-1, -100, -INT32 - 1])), int(rng.integers(0, 10**9)))


def _dt_huge(f, rng, ctx):
    f['period'] = (int(rng.choice([1, 3600, 10**6, INT32])), int(rng.integers(0, UINT32)))


def _dt_tiny(f, rng, ctx):
    f['period'] = (0, int(rng.integers(1, 1000)))


def _dt_15hz(f, rng, ctx):
    f['period'] = _raw(4 * PERIOD)


def _stamp_past(f, rng, ctx):
    f['stamp'] = _raw(ctx.now - float(rng.choice([1.0, 60.0, 1e6, 1e9])))


def _stamp_future(f, rng, ctx):
    f['stamp'] = _raw(ctx.now + float(rng.choice([0.6, 10.0, 1e6, 1e9])))


def _start_past(f, rng, ctx):
    f['start_time'] = _raw(ctx.now - float(rng.choice([1.0, 5.0, 60.0, 1e9])))


def _start_future(f, rng, ctx):
    f['start_time'] = _raw(ctx.now + float(rng.choice([0.3, 0.6, 30.0, 1e9])))


def _negative_time(f, rng, ctx):
    f[str(rng.choice(['stamp', 'start_time']))] = (int(rng.integers(-INT32 - 1, 0)),
                                                   int(rng.integers(0, 10**9)))


def _nanosec_overflow(f, rng, ctx):
    key = str(rng.choice(['stamp', 'start_time', 'period']))
    f[key] = (f[key][0], int(rng.integers(10**9, UINT32)))


def _horizon_one(f, rng, ctx):
    f['horizon'] = 1
    f['positions'] = f['positions'][:len(f['joint_names'])]


def _horizon_long(f, rng, ctx):
    p = _rows(f)
    if p is None:
        return
    h = int(rng.choice([600, 2000]))
    f['positions'] = np.repeat(p[-1:], h, axis=0).reshape(-1)
    f['horizon'] = h


def _velocities_mismatch(f, rng, ctx):
    f['velocities'] = np.zeros(int(rng.integers(1, 50)), np.float32)


def _velocities_nan(f, rng, ctx):
    f['velocities'] = np.full(f['positions'].size, np.nan, np.float32)


def _latent_mismatch(f, rng, ctx):
    f['latent_shape'] = np.array(rng.integers(0, 20, rng.integers(0, 4)), np.uint32)
    f['latent'] = np.zeros(int(rng.integers(0, 100)), np.float32)


def _out_of_order(f, rng, ctx):
    if ctx.last_stamp is not None:
        f['stamp'] = _raw(ctx.last_stamp - float(rng.uniform(PERIOD, 0.4)))


def _duplicate(f, rng, ctx):
    if ctx.last_fields is not None:
        f.clear()
        f.update(ctx.last_fields)


#: name -> mutation of a message's fields (in place); 'corrupt_cdr' acts on the bytes.
MUTATIONS = {fn.__name__[1:]: fn for fn in (
    _nan, _inf, _huge, _out_of_limit, _far_jump, _horizon_mismatch, _truncate_positions,
    _missing_joint, _unknown_joint, _rename_joint, _duplicate_joint, _shuffle_joints,
    _no_joints, _dt_zero, _dt_negative, _dt_huge, _dt_tiny, _dt_15hz, _stamp_past,
    _stamp_future, _start_past, _start_future, _negative_time, _nanosec_overflow,
    _horizon_one, _horizon_long, _velocities_mismatch, _velocities_nan, _latent_mismatch,
    _out_of_order, _duplicate)}
MUTATION_NAMES = tuple(MUTATIONS) + ('corrupt_cdr',)


@dataclass
class FuzzCounts:
    chunks: int = 0
    transport_rejected: int = 0  # corrupted bytes the CDR decoder refuses (never reach us)
    decode_rejected: int = 0  # chunk_from_msg raised a MessageFormatError
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    ticks: int = 0
    clamped_ticks: int = 0
    out_of_limit: int = 0  # commands outside the position limits
    over_step: int = 0  # commands further from the previous one than the per-tick limit
    window_out_of_limit: int = 0
    window_over_step: int = 0
    crashes: int = 0
    crash_examples: list[str] = field(default_factory=list)
    mutations: dict[str, int] = field(default_factory=dict)

    def add(self, other: FuzzCounts) -> None:
        for name in ('chunks', 'transport_rejected', 'decode_rejected', 'accepted', 'ticks',
                     'clamped_ticks', 'out_of_limit', 'over_step', 'window_out_of_limit',
                     'window_over_step', 'crashes'):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.rejected.items():
            self.rejected[k] = self.rejected.get(k, 0) + v
        for k, v in other.mutations.items():
            self.mutations[k] = self.mutations.get(k, 0) + v
        self.crash_examples += other.crash_examples

    @property
    def violations(self) -> int:
        return (self.crashes + self.out_of_limit + self.over_step + self.window_out_of_limit
                + self.window_over_step)


class ChunkFuzzer:
    """Feeds mutated chunks to one executor on a simulated clock and checks every command."""

    def __init__(self, executor: ChunkExecutor, seed: int = 0, tolerance: float = 1e-9):
        self.executor = executor
        self.rng = np.random.default_rng(seed)
        self.types = MessageTypes.from_rosbags()
        self.store = typestore()
        cfg = executor.config
        self.names = list(cfg.joint_names)
        self.lower, self.upper = cfg.limit('position_lower'), cfg.limit('position_upper')
        self.step = executor.safety.max_velocity * executor.period  # per-tick limit
        self.tol = tolerance
        self.counts = FuzzCounts()
        self.tick = 1000
        self.now = self.tick * executor.period
        self.last_stamp: float | None = None
        self.last_fields: dict | None = None
        self.chunk_id = 0
        self.position = (self.lower + self.upper) / 2
        self._previous: tuple[int, np.ndarray] | None = None
        executor.start(self.position, self.now)

    # --- one chunk ----------------------------------------------------------------------------

    def _base_fields(self, latest: bool = False) -> dict:
        rng, h = self.rng, HORIZON
        # an observation taken at one of the last 24 ticks on the executor's clock; one in
        # five stamped off the tick grid (a camera or joint state stamp jitters)
        stamp = (self.tick - (0 if latest else int(rng.integers(0, 25)))) * PERIOD
        if not latest and rng.random() < 0.2:
            stamp += float(rng.normal(0.0, 2e-3))
        span = self.upper - self.lower
        velocity = rng.normal(0.0, 0.05, len(self.names)) * span
        t = np.arange(1, h + 1)[:, None] * PERIOD
        positions = np.clip(self.position + velocity * t, self.lower, self.upper)
        self.chunk_id += 1
        return {
            'stamp': _raw(stamp), 'start_time': _raw(stamp + PERIOD), 'period': _raw(PERIOD),
            'chunk_id': self.chunk_id, 'joint_names': list(self.names), 'horizon': h,
            'positions': positions.astype(np.float32).reshape(-1),
            'velocities': np.zeros(0, np.float32), 'latent_shape': np.zeros(0, np.uint32),
            'latent': np.zeros(0, np.float32)}

    def _message(self, f: dict):
        t = self.types
        return t.ActionChunk(
            header=t.Header(stamp=t.Time(sec=f['stamp'][0], nanosec=f['stamp'][1]),
                            frame_id=''),
            chunk_id=f['chunk_id'],
            start_time=t.Time(sec=f['start_time'][0], nanosec=f['start_time'][1]),
            period=t.Duration(sec=f['period'][0], nanosec=f['period'][1]),
            joint_names=list(f['joint_names']), horizon=f['horizon'],
            positions=np.asarray(f['positions'], np.float32),
            velocities=np.asarray(f['velocities'], np.float32),
            latent_shape=np.asarray(f['latent_shape'], np.uint32),
            latent=np.asarray(f['latent'], np.float32),
            policy_name='fuzz', policy_version='', inference_duration=t.Duration(sec=0,
                                                                                 nanosec=0))

    def feed(self, mutations: list[str], ticks: int | None = None,
             latest: bool = False) -> None:
        """One chunk with ``mutations`` (names from :data:`MUTATION_NAMES`), then ticks;
        ``latest``: observed at the current tick (newer than anything sent before)."""
        c = self.counts
        c.chunks += 1
        for name in mutations:
            c.mutations[name] = c.mutations.get(name, 0) + 1
        fields = self._base_fields(latest)
        for name in mutations:
            if name != 'corrupt_cdr':
                MUTATIONS[name](fields, self.rng, self)
        try:
            raw = bytes(self.store.serialize_cdr(self._message(fields), MSGTYPE))
        except Exception as exc:  # noqa: BLE001 - a field the wire format cannot hold
            raise AssertionError(f'mutations {mutations} built an unencodable message: '
                                 f'{exc}') from exc
        if 'corrupt_cdr' in mutations:
            raw = self._corrupt(raw)
        try:
            msg = self.store.deserialize_cdr(raw, MSGTYPE)
        except Exception:  # noqa: BLE001 - the middleware drops such bytes before any callback
            c.transport_rejected += 1
            msg = None
        if msg is not None:
            self._receive(msg, mutations)
        for _ in range(int(self.rng.integers(1, 13)) if ticks is None else ticks):
            self._tick(skip=bool(self.rng.random() < 0.05))

    def _corrupt(self, raw: bytes) -> bytes:
        b = bytearray(raw)
        if self.rng.random() < 0.5:
            return bytes(b[:self.rng.integers(0, len(b))])
        for i in self.rng.integers(0, max(1, len(b)), int(self.rng.integers(1, 8))):
            b[i] = int(self.rng.integers(0, 256))
        return bytes(b)

    def _receive(self, msg, mutations) -> None:
        c = self.counts
        try:
            chunk = chunk_from_msg(msg)
        except RtrError:
            c.decode_rejected += 1
            return
        except Exception:  # noqa: BLE001 - counted and reported: this is what we look for
            self._crash('chunk_from_msg', mutations)
            return
        try:
            reception = self.executor.receive(chunk, self.now)
        except Exception:  # noqa: BLE001
            self._crash('receive', mutations)
            return
        if reception.accepted:
            c.accepted += 1
            self.last_stamp = chunk.stamp
        else:
            c.rejected[reception.kind] = c.rejected.get(reception.kind, 0) + 1

    def _tick(self, skip: bool) -> None:
        c = self.counts
        self.tick += 2 if skip else 1
        self.now = self.tick * self.executor.period + float(self.rng.uniform(-2e-3, 2e-3))
        try:
            result = self.executor.tick(self.now)
        except Exception:  # noqa: BLE001
            self._crash('tick', [])
            return
        c.ticks += 1
        c.clamped_ticks += bool(result.clamped)
        p = result.position
        if p is None:
            return
        if not (np.all(np.isfinite(p)) and np.all(p >= self.lower - self.tol)
                and np.all(p <= self.upper + self.tol)):
            c.out_of_limit += 1
        if self._previous is not None:
            elapsed = result.tick - self._previous[0]
            if np.any(np.abs(p - self._previous[1]) > self.step * elapsed + self.tol):
                c.over_step += 1
        self._previous = (result.tick, p.copy())
        self.position = p.copy()
        w = result.window
        if w is not None:
            q = w.positions
            if not (np.all(np.isfinite(q)) and np.all(q >= self.lower - self.tol)
                    and np.all(q <= self.upper + self.tol)):
                c.window_out_of_limit += 1
            dt = np.diff(w.times_from_start)
            if np.any(np.abs(np.diff(q, axis=0)) > (dt / PERIOD)[:, None] * self.step[None]
                      + self.tol):
                c.window_over_step += 1

    def _crash(self, where: str, mutations) -> None:
        self.counts.crashes += 1
        if len(self.counts.crash_examples) < 5:
            self.counts.crash_examples.append(f'{where} with {mutations}: '
                                              f'{traceback.format_exc(limit=3)}')

    def liveness(self) -> bool:
        """A valid chunk after everything fed so far is accepted and executed."""
        accepted = self.counts.accepted
        self.feed([], ticks=6, latest=True)
        return self.counts.accepted == accepted + 1 and \
            self.executor.state().mode == MODE_EXECUTING


def random_mutations(rng: np.random.Generator) -> list[str]:
    """0-3 mutations; about one chunk in eight stays valid."""
    n = int(rng.choice([0, 1, 1, 1, 2, 2, 3, 3]))
    return [str(m) for m in rng.choice(MUTATION_NAMES, n, replace=False)]


def run_fuzz(chunks: int, seed: int = 0, strategies=STRATEGIES) -> dict[str, FuzzCounts]:
    """``chunks`` mutated chunks split over ``strategies``, one long-lived executor each."""
    out = {}
    for i, name in enumerate(strategies):
        n = chunks // len(strategies) + (i < chunks % len(strategies))
        fuzzer = ChunkFuzzer(make_executor(name), seed=seed + i)
        for _ in range(n):
            fuzzer.feed(random_mutations(fuzzer.rng))
        live = fuzzer.liveness()
        fuzzer.counts.chunks -= 1  # the liveness chunk is not a fuzzed one
        fuzzer.counts.accepted -= int(live)
        if not live:
            fuzzer.counts.crash_examples.append('liveness: a valid chunk was not executed '
                                                'after the fuzzed ones')
        out[name] = fuzzer.counts
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--chunks', type=int, default=10_000)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    logging.getLogger('rtr.executor').setLevel(logging.ERROR)  # every rejection is logged
    t0 = time.perf_counter()
    results = run_fuzz(args.chunks, args.seed)
    wall = time.perf_counter() - t0
    total = FuzzCounts()
    for counts in results.values():
        total.add(counts)
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores, python '
          f'{platform.python_version()}, load {os.getloadavg()[0]:.2f}; {wall:.0f} s\n')
    print('| strategy | chunks | accepted | decode errors | transport | rejected | ticks | '
          'clamped ticks | crashes | out-of-limit commands | steps over limit | '
          'window out-of-limit | window steps over limit |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for name, c in [*results.items(), ('**all**', total)]:
        print(f'| {name} | {c.chunks:,} | {c.accepted:,} | {c.decode_rejected:,} | '
              f'{c.transport_rejected:,} | {sum(c.rejected.values()):,} | {c.ticks:,} | '
              f'{c.clamped_ticks:,} | {c.crashes} | {c.out_of_limit} | {c.over_step} | '
              f'{c.window_out_of_limit} | {c.window_over_step} |')
    print('\nRejections by kind (all strategies):\n')
    print('| ' + ' | '.join(total.rejected) + ' |')
    print('|' + '---|' * len(total.rejected))
    print('| ' + ' | '.join(f'{v:,}' for v in total.rejected.values()) + ' |')
    print('\nMutations applied (a chunk carries 0-3):\n')
    items = sorted(total.mutations.items())
    print('| ' + ' | '.join(k for k, _ in items) + ' |')
    print('|' + '---|' * len(items))
    print('| ' + ' | '.join(f'{v:,}' for _, v in items) + ' |')
    for example in total.crash_examples:
        print('\n' + example)
    return 1 if total.violations or total.crash_examples else 0


if __name__ == '__main__':
    raise SystemExit(main())
