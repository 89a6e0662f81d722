"""Re-timing (boundary.retime_ticks): the along-path hand-over residual becomes a time shift,
so the arm keeps the chunk's speed instead of surging to catch up with it."""

import dataclasses

import numpy as np
import pytest

from rtr_core.boundary.retime import retime, time_shift
from rtr_core.chunk import Chunk
from rtr_core.config import ConfigError
from rtr_core.executor.config import BoundaryConfig
from rtr_core.timeline import Plan

from .test_boundary import UNLIMITED, J, T, execute

SPEED = 0.6  # rad/s of every joint along the path (0.01 rad per tick)


def circle_chunk(stamp, lag_ticks, chunk_id, h=48):
    """Joints 0 and 1 on a circle of radius 0.5 rad at constant speed, the others still;
    the chunk believes the arm is ``lag_ticks`` behind where it is (a policy that
    disagrees with the executed plan along the path, not across it)."""
    t = stamp + T * (1 + np.arange(h)) - lag_ticks * T
    angle = SPEED / 0.5 * t
    p = np.zeros((h, len(J)))
    p[:, 0], p[:, 1] = 0.5 * np.cos(angle), 0.5 * np.sin(angle)
    return Chunk(stamp, stamp + T, T, J, p, chunk_id)


def tip_speeds(out, first, last):
    pos = np.array([out[k].position[:2] for k in range(first, last + 1)])
    return np.linalg.norm(np.diff(pos, axis=0), axis=1) / T


def swing_after_handover(lag, strategy='anchor', **boundary):
    """Largest relative speed error over the 25 ticks after chunk 2 takes over: chunk 2
    (observation at tick 10, arriving 0.2 s later) is ``lag`` ticks behind the executed plan
    along the same circle (ahead when negative)."""
    deliveries = [(0.0, circle_chunk(0.0, 0.0, 1)),
                  (10 * T + 0.2, circle_chunk(10 * T, lag, 2))]
    config = dataclasses.replace(UNLIMITED, boundary=BoundaryConfig(**boundary))
    out = execute(strategy, deliveries, 56, config)
    splice = next(k for k, r in out.items() if r.spliced and r.chunk_id == 2)
    v = tip_speeds(out, splice - 3, splice + 25)
    return float(np.max(np.abs(v - SPEED)) / SPEED)


def test_retime_keeps_the_chunk_speed_where_the_anchor_surges():
    # the anchor spreads the 0.06 rad residual of a chunk 6 ticks behind over its 20 ticks:
    # the arm holds back by about half its speed; advanced by 6 ticks, the chunk is followed
    # at its own speed
    assert swing_after_handover(6.0) > 0.3
    assert swing_after_handover(6.0, retime_ticks=12) < 0.03
    # a chunk ahead of the arm is delayed only with retime_behind (else the anchor catches up)
    assert swing_after_handover(-4.5, retime_ticks=12) > 0.3
    assert swing_after_handover(-4.5, retime_ticks=12, retime_behind=True) < 0.03
    # beyond retime_ticks there is nothing to slide along: the anchor does it all, as before
    assert swing_after_handover(6.0, retime_ticks=4) == pytest.approx(swing_after_handover(6.0))
    # re-timing belongs to the anchor: a strategy that does not anchor splices the chunk as is
    assert swing_after_handover(6.0, 'naive', retime_ticks=12) == \
        pytest.approx(swing_after_handover(6.0, 'naive'))
    assert swing_after_handover(6.0, 'naive', retime_ticks=12, anchor=True) < 0.03


def test_time_shift_finds_the_point_along_the_path():
    plan = Plan(100, circle_chunk(100 * T, 0.0, 1).positions)
    # the arm is where the plan will be 3.4 ticks later (between two actions)
    at = np.interp(3.4, [3, 4], [0, 1])
    position = (1 - at) * plan.at(113) + at * plan.at(114)
    assert time_shift(plan, 110, position, 12) == pytest.approx(3.4, abs=1e-6)
    shifted, tau = retime(plan, 110, position, 12)
    assert tau == pytest.approx(3.4, abs=1e-6)
    np.testing.assert_allclose(shifted.at(110), position, atol=1e-4)
    assert (shifted.first_tick, shifted.last_tick) == (plan.first_tick, plan.last_tick)
    # the arm behind the plan: a delay only with behind=True
    assert time_shift(plan, 110, plan.at(107), 12) == 0.0
    assert time_shift(plan, 110, plan.at(107), 12, behind=True) == pytest.approx(-3, abs=1e-6)
    # none when the closest point is at the edge of the search (not on this stretch of the
    # path); a plan that stands still is not shifted
    assert time_shift(plan, 110, plan.at(130), 5) == 0.0
    still = Plan(0, np.zeros((48, len(J))))
    assert retime(still, 10, np.ones(len(J)), 12)[1] == 0.0


def test_retime_ticks_is_range_checked():
    with pytest.raises(ConfigError, match='retime_ticks'):
        BoundaryConfig(retime_ticks=-1)
