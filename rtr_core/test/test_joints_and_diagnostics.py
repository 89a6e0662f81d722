import numpy as np
import pytest

from rtr_core.diagnostics import OK, WARN, executor_diagnostics
from rtr_core.errors import RtrError
from rtr_core.executor.state import MODE_EXECUTING, MODE_HOLDING, ExecutorState
from rtr_core.joints import select_joints
from rtr_core.realtime import LatenessStats


def test_joints_are_matched_by_name():
    out = select_joints(['gripper', 'b', 'a'], [9.0, 2.0, 1.0], ['a', 'b'])
    np.testing.assert_array_equal(out, [1.0, 2.0])
    with pytest.raises(RtrError, match=r"joints \['c'\] missing"):
        select_joints(['a', 'b'], [1, 2], ['a', 'c'])
    with pytest.raises(RtrError, match='2 names but 3 values'):
        select_joints(['a', 'b'], [1, 2, 3], ['a'])


def state(mode):
    return ExecutorState(0.0, 10, 1 / 60, ('a',), np.zeros(1), np.zeros(1), 5, 3, 3, False,
                         'rtr', mode=mode, stall_ticks=4)


def test_executor_diagnostics_levels():
    fine = LatenessStats(100, 0.1, 0.5, 1.0, 0)
    level, message, values = executor_diagnostics(state(MODE_EXECUTING), fine)
    assert (level, message) == (OK, 'executing')
    assert dict(values)['stall_ticks'] == '4'
    assert executor_diagnostics(state(MODE_HOLDING), fine)[0] == WARN
    assert dict(values)['tick_lateness_worst'] == ''
    from rtr_core.tick_probe import LateTick

    worst = LateTick(60.0, 3.5, 0.0, 55.0, 0.0, 0, 0, 0, 1, 0.0)
    late = LatenessStats(100, 5.0, 40.0, 60.0, 3, worst=worst)
    level, message, values = executor_diagnostics(state(MODE_EXECUTING), late)
    assert level == WARN and 'late' in message
    assert dict(values)['tick_lateness_worst'].startswith('60.0 ms late at 3.5 s, likely '
                                                          'waiting for a core')


def test_policy_diagnostics_warn_on_stale_inputs():
    from rtr_core.diagnostics import policy_diagnostics
    from rtr_core.inference import InferenceStats

    stats = InferenceStats(12, 80.0, 120.0, 60.0, 0, 0, {'image': 3}, '')
    level, message, values = policy_diagnostics(stats)
    assert (level, message) == (OK, 'inferring') and dict(values)['dropped_image'] == '3'
    stale = InferenceStats(12, 80.0, 120.0, 60.0, 4, 0, {}, 'image is 700 ms old')
    level, message, _ = policy_diagnostics(stale)
    assert level == WARN and 'image is 700 ms old' in message
