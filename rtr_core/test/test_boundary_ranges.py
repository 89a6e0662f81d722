"""Issue 14.7: boundary settings are range-checked, and the refinement window is right for
any splice lead (executed history, then the old plan until the splice, then the new chunk).

The window contents do not depend on what the VAE learnt: an ActionVAE of the default
architecture with random weights, its input recorded, is enough.
"""

import numpy as np
import pytest
import torch

from rtr_core.boundary import BoundaryError
from rtr_core.boundary.config import BoundaryConfig
from rtr_core.chunk import Chunk
from rtr_core.config import ConfigError
from rtr_core.executor.config import ExecutorConfig, SafetyConfig
from rtr_core.executor.executor import ChunkExecutor

T = 1 / 60
J = ExecutorConfig().joint_names
H = 48
WIDE = SafetyConfig(position_lower=-100.0, position_upper=100.0, max_step=10.0,
                    max_velocity=1e4, max_acceleration=1e8)


def random_vae(horizon=H):
    from rtr_core.vae import ActionVAE, VAEConfig
    from rtr_core.vae.normaliser import MinMaxNormaliser

    torch.manual_seed(0)
    return ActionVAE(VAEConfig(horizon=horizon, action_dim=len(J), dt=T),
                     MinMaxNormaliser(np.full(len(J), -3.0), np.full(len(J), 3.0)), J)


def ramp(stamp, chunk_id, offset=0.0, slope=0.3):
    t = stamp + T * np.arange(1, H + 1)
    positions = slope * t[:, None] + np.arange(len(J)) / 10 + offset
    return Chunk(stamp, stamp + T, T, J, positions, chunk_id)


@pytest.mark.parametrize('lead', [1, 4])
def test_refinement_window_holds_the_old_plan_until_the_splice(lead):
    boundary = BoundaryConfig()
    ex = ChunkExecutor(ExecutorConfig(splice_lead_ticks=lead, safety=WIDE, boundary=boundary),
                       'rtr', action_vae=random_vae())
    windows = []
    refiner = ex.strategy.refiner
    reconstruct = refiner.reconstruct
    refiner.reconstruct = lambda x: windows.append(np.array(x)) or reconstruct(x)
    ex.start(ramp(0.0, 1).positions[0] - 0.3 * T, 0.0)
    assert ex.receive(ramp(0.0, 1), 0.0).accepted
    commands = {k: ex.tick(k * T).position for k in range(1, 31)}
    new = ramp(30 * T, 2, offset=0.2)  # the new prediction is 0.2 rad off the old one
    reception = ex.receive(new, 30 * T)
    splice = reception.splice_tick
    assert reception.accepted and splice == 30 + lead
    commands.update({k: ex.tick(k * T).position for k in range(31, splice)})
    window = windows[-1][0]  # (the residual pass also reconstructs the plain new chunk)
    w0 = splice - boundary.lookback_ticks
    # before the splice: what was executed, then what still runs from the old plan (wide
    # limits: the commands are the plan) - never the new chunk, 0.2 rad away
    ran = np.array([commands[k] for k in range(w0, splice)])
    np.testing.assert_allclose(window[:splice - w0], ran, atol=1e-9)
    fresh = splice + boundary.reuse_margin
    np.testing.assert_allclose(window[fresh - w0:], new.positions[fresh - 31:w0 + H - 31],
                               atol=1e-9)


@pytest.mark.parametrize('field,value', [('lookback_ticks', -1), ('reuse_margin', -2),
                                         ('blend_ticks', 0), ('crossfade_ticks', -1),
                                         ('paper_reuse', -1), ('ensemble_m', float('nan'))])
def test_boundary_values_out_of_range_are_refused_by_name(field, value):
    with pytest.raises(ConfigError, match=f'boundary.{field}'):
        ExecutorConfig.from_dict({'boundary': {field: value}})


@pytest.mark.parametrize('lookback,margin', [(48, 2), (47, 0), (36, 2), (22, 8), (100, 2)])
def test_a_refinement_window_without_room_for_the_new_chunk_is_refused(lookback, margin):
    """lookback_ticks >= H left the splice outside the VAE window (0.58 rad errors, or every
    chunk rejected); the correction also needs blend_ticks (20) after the reused ticks."""
    cfg = ExecutorConfig(boundary=BoundaryConfig(lookback_ticks=lookback, reuse_margin=margin))
    with pytest.raises(BoundaryError, match='boundary.lookback_ticks'):
        ChunkExecutor(cfg, 'rtr', action_vae=random_vae())
    # the same settings without refinement, or a window that leaves the room, are fine
    ChunkExecutor(cfg, 'rtr')
    ChunkExecutor(ExecutorConfig(boundary=BoundaryConfig(lookback_ticks=26, reuse_margin=2)),
                  'rtr', action_vae=random_vae())


def test_splice_lead_longer_than_any_chunk_is_refused():
    with pytest.raises(ConfigError, match='splice_lead_ticks'):
        ExecutorConfig(splice_lead_ticks=700)  # 11.7 s: more than max_chunk_duration (10 s)
    with pytest.raises(ConfigError, match='splice_lead_ticks'):
        ExecutorConfig(splice_lead_ticks=0)


@pytest.mark.parametrize('lead', [1, 3])
def test_a_merge_that_outlasts_its_lead_is_counted_late(lead):
    """In real time the 60 Hz loop keeps ticking while a chunk is merged (rtr: VAE encode and
    decode). A merge still running when its splice tick is due lands late: the tick ran the
    old plan and the seam is anchored from there (seam jerk 145 rad/s^3 over ROS 2 with a
    lead of 1, 36 with 3). Here the merge spans one tick."""
    import threading

    ex = ChunkExecutor(ExecutorConfig(splice_lead_ticks=lead, safety=WIDE), 'rtr',
                       action_vae=random_vae())
    ex.start(ramp(0.0, 1).positions[0] - 0.3 * T, 0.0)
    assert ex.receive(ramp(0.0, 1), 0.0).accepted
    for k in range(1, 31):
        ex.tick(k * T)
    merging, ticked = threading.Event(), threading.Event()
    merge = ex.strategy.merge

    def slow_merge(ctx):
        merging.set()
        assert ticked.wait(5.0)
        return merge(ctx)

    ex.strategy.merge = slow_merge
    done = []
    thread = threading.Thread(target=lambda: done.append(ex.receive(ramp(30 * T, 2), 30 * T)))
    thread.start()
    assert merging.wait(5.0)
    ex.tick(31 * T)  # the loop's next tick, while the chunk is being merged
    ticked.set()
    thread.join(5.0)
    assert done and done[0].accepted
    assert ex.state().late_merges == (1 if lead == 1 else 0)
    for k in range(32, 40):
        ex.tick(k * T)
    assert ex.state().chunk_id == 2  # late or not, the chunk runs
