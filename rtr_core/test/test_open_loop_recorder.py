"""The bag-replay open-loop recorder scores chunks against a recorded stream (known answers)."""

import numpy as np
import pytest

from rtr_core.chunk import Chunk
from rtr_core.errors import RtrError
from rtr_core.evaluation.open_loop_recorder import OpenLoopRecorder
from rtr_core.msgs import trajectory_to_msg

DT = 1 / 60


def test_recorded_stream_and_chunks_give_known_deviation(types, tmp_path):
    rec = OpenLoopRecorder(DT)
    t = np.arange(120) * DT
    path = np.column_stack([np.sin(t), np.cos(t)])
    for k in range(120):  # the commanded stream: first point = next tick's target
        msg = trajectory_to_msg(['b', 'a'], [DT, 2 * DT], [path[k, ::-1], path[k, ::-1]], types)
        rec.add_action_msg(msg, t[k] - DT)
    assert rec.trigger_state(0.5).inference_requested
    for c, k0 in enumerate((10, 40, 70)):  # chunks offset by exactly 0.01 rad
        rows = np.arange(k0, k0 + 30)
        rec.add_chunk(Chunk(t[k0], t[k0], DT, ('a', 'b'), path[rows] + 0.01, chunk_id=c + 1))
    assert rec.trigger_state(1.0).last_received_chunk_id == 3
    result = rec.result()
    assert result.metrics['chunks'] == 3
    assert result.metrics['deviation']['mean'] == pytest.approx(0.01, abs=1e-9)
    written = rec.write(tmp_path)
    assert all(p.exists() for p in written)


def test_nothing_to_score_is_a_clear_error():
    with pytest.raises(RtrError, match='0 recorded actions on /jtc/joint_trajectory and 0 '
                       'chunks'):
        OpenLoopRecorder(action_topic='/jtc/joint_trajectory').result()


def test_stride_asks_at_the_offline_plan_ticks(types):
    """With stride n the evaluator asks for a chunk at the plan ticks of `rtr eval open-loop
    --stride n`: every n ticks from the tick the first recorded action is planned from."""
    rec = OpenLoopRecorder(DT, stride=24)
    assert not rec.trigger_state(0.0).inference_requested  # no recorded action yet
    for k in range(1, 100):  # action k targets tick k, planned from tick k - 1
        rec.add_action_msg(trajectory_to_msg(['a'], [DT], [[0.0]], types), (k - 1) * DT)
    assert rec.trigger_state(0.0).inference_requested
    rec.add_chunk(Chunk(0.0, DT, DT, ('a',), np.zeros((30, 1)), chunk_id=1))
    assert not rec.trigger_state(23 * DT).inference_requested
    assert rec.trigger_state(24 * DT).inference_requested
    rec.add_chunk(Chunk(26 * DT, 27 * DT, DT, ('a',), np.zeros((30, 1)), chunk_id=2))  # late
    assert not rec.trigger_state(47 * DT).inference_requested  # the grid stays put
    assert rec.trigger_state(48 * DT).inference_requested
    with pytest.raises(RtrError, match='stride=-1'):
        OpenLoopRecorder(DT, stride=-1)
