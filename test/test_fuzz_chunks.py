"""Fuzzed ActionChunk messages through CDR decode, chunk_from_msg and the executor.

The generator and the invariant checks are benchmarks/bench_fuzz.py's (its 10,000-chunk run is
the benchmark); here hypothesis chooses the mutations, so a failure shrinks to the smallest
sequence of bad chunks that breaks an invariant.
"""


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtr_core.chunk import Chunk
from rtr_core.executor.config import ExecutorConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_EXECUTING

STRATEGIES = ('sync', 'naive', 'weighted_average', 'temporal_ensemble', 'crossfade',
              'rtr_paper', 'rtr')
T = 1 / 60


@pytest.fixture(scope='module')
def bench_fuzz(load_benchmark):
    return load_benchmark('bench_fuzz')


@pytest.fixture(scope='module')
def vae(bench_fuzz):
    return bench_fuzz.random_vae(bench_fuzz.arm_executor_config('rtr'))


def _assert_clean(counts):
    assert counts.crashes == 0, counts.crash_examples
    assert counts.out_of_limit == 0
    assert counts.over_step == 0
    assert counts.window_out_of_limit == 0
    assert counts.window_over_step == 0
    handled = (counts.accepted + sum(counts.rejected.values()) + counts.decode_rejected
               + counts.transport_rejected)
    assert handled == counts.chunks  # every chunk accounted for exactly once


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_fuzzed_chunk_sequences_never_crash_or_leave_the_limits(strategy, bench_fuzz, vae):
    names = st.sampled_from(bench_fuzz.MUTATION_NAMES)

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(seed=st.integers(0, 2**16), chunks=st.lists(st.lists(names, max_size=3),
                                                       min_size=1, max_size=25))
    def check(seed, chunks):
        executor = bench_fuzz.make_executor(strategy, vae)
        fuzzer = bench_fuzz.ChunkFuzzer(executor, seed)
        for mutations in chunks:
            fuzzer.feed(mutations)
        _assert_clean(fuzzer.counts)
        assert fuzzer.liveness(), executor.state().last_rejection_reason  # no lock-out
        _assert_clean(fuzzer.counts)

    check()


def test_small_fuzz_run_counts(bench_fuzz):
    """The benchmark's own loop, 350 chunks: all mutation kinds hit, every kind rejected."""
    results = bench_fuzz.run_fuzz(350, seed=3)
    for counts in results.values():
        _assert_clean(counts)
    total = bench_fuzz.FuzzCounts()
    for counts in results.values():
        total.add(counts)
    assert total.accepted > 20 and total.decode_rejected > 20
    for kind in ('non_finite', 'joints', 'period', 'stale', 'future', 'out_of_order'):
        assert total.rejected[kind] > 0, kind
    assert total.clamped_ticks > 0  # out-of-limit and far chunks did reach the safety filter


# --- regressions for the bugs the fuzzer found ---------------------------------------------


def _chunk(stamp, start=None, dt=T, h=48, value=0.1, chunk_id=1):
    start = stamp + dt if start is None else start
    return Chunk(stamp, start, dt, ExecutorConfig().joint_names, np.full((h, 7), value),
                 chunk_id)


def test_a_huge_period_is_rejected_not_resampled_onto_billions_of_ticks():
    ex = ChunkExecutor(ExecutorConfig(strategy='naive'))
    ex.start(np.zeros(7), 10.0)
    r = ex.receive(_chunk(10.0, dt=1e6), 10.0)  # used to allocate 2.9e9 ticks x 7 joints
    assert (r.accepted, r.kind) == (False, 'period') and 'max_chunk_duration' in r.reason
    r = ex.receive(_chunk(10.0, start=-1e300), 10.0)  # used to overflow np.arange
    assert (r.accepted, r.kind) == (False, 'stale')
    assert ex.rejections()['period'] == 1 and ex.rejections()['stale'] == 1


def test_a_chunk_from_the_future_cannot_lock_out_every_later_chunk():
    ex = ChunkExecutor(ExecutorConfig(strategy='naive'))
    ex.start(np.zeros(7), 10.0)
    r = ex.receive(_chunk(1e6, start=10.0 + T), 10.0)  # was accepted, then all later ones
    assert (r.accepted, r.kind) == (False, 'future')  # were 'out of order'
    r = ex.receive(_chunk(10.0, start=1e300), 10.0)  # was a TypeError
    assert (r.accepted, r.kind) == (False, 'future')
    assert ex.receive(_chunk(10.0, chunk_id=2), 10.0).accepted


def test_the_jtc_window_is_as_limited_as_the_command():
    """A far chunk: the command is clamped, and the streamed window must not reach for the
    plan between two ticks (it used to, with steps of the whole jump)."""
    ex = ChunkExecutor(ExecutorConfig(strategy='naive'))
    ex.start(np.zeros(7), 0.0)
    assert ex.receive(_chunk(0.0, value=1.0), 0.0).accepted
    limit = ex.safety.max_velocity * T
    for k in range(1, 15):  # 1 rad away at 3 rad/s: clamped for the first 20 ticks
        result = ex.tick(k * T)
        assert result.clamped
        steps = np.abs(np.diff(result.window.positions, axis=0))
        assert np.all(steps <= limit + 1e-12)


def test_config_refuses_durations_that_crash_the_tick_or_exhaust_memory():
    from rtr_core.executor.config import ExecutorConfigError

    for bad in ({'window_duration': float('nan')}, {'window_duration': float('inf')},
                {'history_ticks': 10**12}, {'clock_tolerance': 0.0},
                {'max_chunk_duration': float('nan')}):
        with pytest.raises(ExecutorConfigError):
            ExecutorConfig(**bad)


def test_executor_state_counts_future_rejections():
    ex = ChunkExecutor(ExecutorConfig(strategy='naive'))
    ex.start(np.zeros(7), 10.0)
    ex.receive(_chunk(20.0), 10.0)
    state = ex.state()
    assert state.chunks_rejected == 1 and 'ahead of the executor clock' in \
        state.last_rejection_reason
    ex.receive(_chunk(10.0, chunk_id=2), 10.0)
    for k in range(601, 610):
        ex.tick(k * T)
    assert ex.state().mode == MODE_EXECUTING


def test_one_absurd_chunk_does_not_poison_rtr_paper_for_good(bench_fuzz, vae):
    """A finite but absurd chunk (3e38 rad) made rtr_paper's remembered chunk NaN, and every
    later chunk was then rejected as 'non-finite' forever."""
    ex = bench_fuzz.make_executor('rtr_paper', vae)
    names = ex.config.joint_names
    ex.start(np.zeros(7), 10.0)
    tick = 600

    def chunk(value, chunk_id):
        stamp = tick * T
        return Chunk(stamp, stamp + T, T, names, np.full((48, 7), value), chunk_id)

    assert ex.receive(chunk(0.01, 1), tick * T).accepted
    for _ in range(5):
        tick += 1
        ex.tick(tick * T)
    absurd = ex.receive(chunk(3e38, 2), tick * T)
    assert not absurd.accepted and absurd.kind == 'strategy'
    tick += 1
    ex.tick(tick * T)
    assert ex.receive(chunk(0.02, 3), tick * T).accepted
