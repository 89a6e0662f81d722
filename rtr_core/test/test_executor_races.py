"""Issue 14.5: a hold, reset or clock jump that lands while a chunk is being merged.

The merge runs on the receiving thread outside the executor's lock; a strategy that blocks
in ``merge`` until the test lets it go makes the interleaving deterministic.
"""

import threading

import numpy as np

from rtr_core.boundary.base import BoundaryStrategy
from rtr_core.chunk import Chunk
from rtr_core.executor.config import ExecutorConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.executor.state import MODE_EXECUTING, MODE_HOLDING
from rtr_core.timeline import Plan

T = 1 / 60
JOINTS = ExecutorConfig().joint_names


class BlockingStrategy(BoundaryStrategy):
    """``naive`` (the fresh part of the new chunk), but merge waits for ``release``."""

    name = 'blocking'

    def __init__(self):
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.block = True

    def merge(self, ctx):
        if self.block:
            self.entered.set()
            assert self.release.wait(5.0)
        fresh = ctx.new_fresh
        return None if fresh is None else Plan(fresh.first_tick, fresh.positions)


def chunk(stamp, chunk_id, h=48, slope=0.3):
    t = stamp + T * np.arange(1, h + 1)
    positions = slope * (t - stamp)[:, None] * np.ones(len(JOINTS))
    return Chunk(stamp, stamp + T, T, JOINTS, positions, chunk_id)


def running(start=0.0):
    strategy = BlockingStrategy()
    ex = ChunkExecutor(ExecutorConfig(strategy='naive'), strategy=strategy)
    ex.start(np.zeros(len(JOINTS)), start)
    strategy.block = False
    assert ex.receive(chunk(start, 1), start).accepted
    for k in range(1, 11):
        ex.tick(start + k * T)
    strategy.block = True
    return ex, strategy


def merge_while(ex, strategy, c, now, action):
    """Receive ``c`` on another thread; run ``action`` while its merge is in progress."""
    out = []
    receiver = threading.Thread(target=lambda: out.append(ex.receive(c, now)))
    receiver.start()
    assert strategy.entered.wait(5.0)
    action()
    strategy.release.set()
    receiver.join(5.0)
    strategy.block = False
    return out[0]


def test_hold_during_a_merge_is_not_undone_by_the_chunk_in_flight():
    ex, strategy = running()
    now = 10 * T
    reception = merge_while(ex, strategy, chunk(now, 2), now, lambda: ex.hold(now))
    assert not reception.accepted and reception.kind == 'superseded'
    results = [ex.tick((10 + k) * T) for k in range(1, 40)]
    assert all(r.mode == MODE_HOLDING for r in results), 'the hold stands'
    np.testing.assert_allclose(results[-1].velocity, 0.0, atol=1e-9)
    # a chunk sent after the hold is executed again
    later = 50 * T
    assert ex.receive(chunk(later, 3), later).accepted
    assert ex.tick(later + T).mode == MODE_EXECUTING


def test_reset_during_a_merge_leaves_nothing_planned():
    ex, strategy = running()
    now = 10 * T

    def reset():
        ex.reset()
        ex.start(np.zeros(len(JOINTS)), now)

    reception = merge_while(ex, strategy, chunk(now, 2), now, reset)
    assert not reception.accepted and reception.kind == 'superseded'
    state = ex.state()
    assert state.planned_actions_left == 0 and state.inference_requested
    assert ex.tick(now + T).mode == MODE_HOLDING


def test_clock_jump_back_during_a_merge_does_not_lock_chunks_out():
    """Repro of the issue: a plan on the old timeline stayed pending (44 actions left, no
    inference requested) and every chunk on the new clock was rejected out_of_order."""
    start = 100.0
    ex, strategy = running(start)
    now = start + 10 * T
    jumped = 1.0  # a bag replay restarting: the clock goes back by ~99 s
    reception = merge_while(ex, strategy, chunk(now, 2), now, lambda: ex.tick(jumped))
    assert ex.clock_jumps() == 1
    assert not reception.accepted and reception.kind == 'superseded'
    state = ex.state()
    assert state.planned_actions_left == 0 and state.inference_requested
    fresh = chunk(jumped + T, 3)
    assert ex.receive(fresh, jumped + T).accepted, ex.state().last_rejection_reason
    assert ex.tick(jumped + 2 * T).mode == MODE_EXECUTING


def test_a_merge_without_interference_still_commits():
    ex, strategy = running()
    now = 10 * T
    reception = merge_while(ex, strategy, chunk(now, 2), now, lambda: ex.tick(11 * T))
    assert reception.accepted
