"""``rtr`` (ours): time-aligned Reuse-then-Refine with hand-over continuity.

When a chunk arrives (off the tick path) a window of the VAE horizon H is laid on the tick
grid with the splice tick ``lookback_ticks`` into it (later if the chunk would end before
the window). Its ticks up to ``reuse_margin`` after the splice are reused, chosen by time
for any delay: what was executed before the splice, then the plan that runs until the new
chunk takes over; the rest is the new chunk. Keeping the splice inside the window keeps it
away from the VAE's edges, where reconstructions are worst; the part of the chunk beyond
the window is joined on with the same decaying residual. The window goes through the VAE
with the posterior mean (deterministic). With ``residual`` (default) the VAE's answer is
used as a correction, ``new + R(spliced) - R(new)`` with R = decode(encode(.)): the VAE
turns the reused prefix into a smooth transition into the new chunk, while its own
reconstruction error, common to both passes, cancels (plain ``R(spliced)``, as the seed,
doubled the deviation from the reference in benchmarks/bench_executor.py). A chunk that is
off the VAE's manifold, much rougher than its own reconstruction (``project_above``: the
direct 60 Hz policy's jittery chunks), is projected instead, ``R(spliced)``: the residual
would cancel the smoothing only the VAE can give (closed loop, direct 60 Hz policy: task
deviation 5.1 vs 16.8 mm with the anchor alone, jerk 34 vs 1731 rad/s^3). At the splice
tick the executor anchors the result to the executed position, velocity and acceleration
(:mod:`.anchor`), so no step and no jerk spike remain at the hand-over.
Without a VAE (or ``refine=False``) the fresh chunk is only anchored.
"""

from __future__ import annotations

# numpy.ma: np.median imports it on its first call (~100 ms): on the executor node's spin
# thread, at the first chunk, while the 60 Hz loop waited for the GIL (a tick 95 ms late)
import numpy as np
import numpy.ma  # noqa: F401

from ..timeline import Plan
from .anchor import AnchorStrategy, _basis
from .base import BoundaryContext, BoundaryError, BoundaryStrategy


def _fade_out(n: int, start: int) -> np.ndarray:
    """(n, 1) weights: 1 up to index ``start``, then a quintic decay to 0 at index n - 1."""
    w = np.ones(n)
    length = n - 1 - start
    if length >= 1:
        w[start + 1:] = _basis(length)[0]
    return w[:, None]


class RTRStrategy(BoundaryStrategy):
    name = 'rtr'
    anchors = True

    def __init__(self, config=None, refiner=None):
        super().__init__(config, refiner)
        if refiner is None or not self.config.refine:
            return
        c = self.config
        h = refiner.horizon
        if c.lookback_ticks + c.reuse_margin + c.blend_ticks > h:
            # the VAE's correction fades out over blend_ticks after the reused ticks, inside
            # the window: without that room the hand-over is refined towards little or none of
            # the new chunk (lookback 36 of 48: jerk p95 x8; >= H: 0.58 rad errors or every
            # chunk rejected; docs/benchmarks.md)
            raise BoundaryError(f'executor boundary.lookback_ticks + reuse_margin + '
                                f'blend_ticks: expected at most the action VAE horizon {h}, got '
                                f'{c.lookback_ticks} + {c.reuse_margin} + {c.blend_ticks}')

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        if ctx.new_fresh is None:
            return None
        if self.refiner is None or not self.config.refine:
            return AnchorStrategy.merge(self, ctx)
        h = self.refiner.horizon
        new = ctx.new
        splice = ctx.splice_tick
        # the splice sits `lookback` ticks into the window, away from the VAE's edge, unless
        # the chunk ends before such a window would
        w0 = min(splice - self.config.lookback_ticks, new.last_tick - h + 1)
        ticks = np.arange(w0, w0 + h)
        window = new.positions[np.clip(ticks - new.first_tick, 0, new.positions.shape[0] - 1)]
        fresh_window = window.copy()
        reuse_end = min(splice + self.config.reuse_margin, w0 + h - 1)  # first tick of new
        # executed history before the splice, then the plan that runs until the new chunk
        # takes over
        hist_end = ctx.history_first_tick + ctx.history.shape[0]
        hist = (ticks < splice) & (ticks >= ctx.history_first_tick) & (ticks < hist_end)
        window[hist] = ctx.history[ticks[hist] - ctx.history_first_tick]
        if ctx.current is not None:
            planned, rows = ctx.current.window(max(splice, w0), reuse_end - 1)
            window[planned - w0] = rows
        both = self.refiner.reconstruct(np.stack([window, fresh_window]))
        if self.config.residual and not self._off_manifold(fresh_window, both[1]):
            # Nothing is reused after the hand-over: fade the correction out before the
            # window ends, where the VAE's edge error would leave the plan off the new chunk.
            reused = reuse_end - w0
            fade_from = min(reused + self.config.blend_ticks,
                            max(reused, h - 1 - self.config.blend_ticks))
            refined = fresh_window + (both[0] - both[1]) * _fade_out(h, fade_from)
        else:
            refined = both[0]
        if new.last_tick > ticks[-1]:  # the chunk goes on: continue it from the window end
            rest = new.positions[ticks[-1] + 1 - new.first_tick:].copy()
            blend = min(self.config.blend_ticks, rest.shape[0])
            jump = refined[-1] + (refined[-1] - refined[-2]) - rest[0]
            rest[:blend] += np.outer(_basis(self.config.blend_ticks)[0, :blend], jump)
            refined = np.vstack([refined, rest])
        return Plan(w0, refined, ctx.new.chunk_id, anchor=True)

    def _off_manifold(self, chunk: np.ndarray, reconstruction: np.ndarray) -> bool:
        """A chunk much rougher than its own reconstruction (median jerk over
        ``project_above`` times): jitter the VAE removes, so the window is projected."""
        if self.config.project_above <= 0:
            return False
        rough = np.median(np.linalg.norm(np.diff(chunk, n=3, axis=0), axis=1))
        smooth = np.median(np.linalg.norm(np.diff(reconstruction, n=3, axis=0), axis=1))
        if not rough > self.config.project_above * max(smooth, 1e-12):
            return False
        # jitter around the VAE's reconstruction, not a motion the VAE cannot represent
        return bool(np.mean(np.abs(chunk - reconstruction)) <= self.config.project_tolerance)
