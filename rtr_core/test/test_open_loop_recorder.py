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
    with pytest.raises(RtrError, match='0 recorded actions and 0 chunks'):
        OpenLoopRecorder().result()
