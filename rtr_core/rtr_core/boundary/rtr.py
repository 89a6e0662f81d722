"""``rtr`` (ours): time-aligned Reuse-then-Refine with hand-over continuity.

When a chunk arrives (off the tick path) the refinement window is the VAE horizon starting
at the chunk's first action. Its first R ticks are reused, chosen by time for any delay:
what was executed before the splice tick, then the plan that runs until the new chunk
takes over (R = stale ticks + ``reuse_margin``, clipped to [1, H-1]); the rest is the new
chunk. The window goes through the VAE with the posterior mean (deterministic). At the
splice tick the executor anchors the result to the executed position, velocity and
acceleration (:mod:`.anchor`), so no step and no jerk spike remain at the hand-over.
Without a VAE (or ``refine=False``) the fresh chunk is only anchored.
"""

from __future__ import annotations

import numpy as np

from ..executor.timeline import Plan
from .anchor import _basis
from .base import BoundaryContext, BoundaryStrategy


class RTRStrategy(BoundaryStrategy):
    name = 'rtr'

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        fresh = ctx.new_fresh
        if fresh is None:
            return None
        if self.vae is None or not self.config.refine:
            return Plan(fresh.first_tick, fresh.positions, fresh.chunk_id, anchor=True)
        h = self.vae.horizon
        w0 = ctx.new.first_tick
        new = ctx.new.positions
        window = np.empty((h, new.shape[1]))
        m = min(h, new.shape[0])
        window[:m] = new[:m]
        window[m:] = new[-1]  # a chunk shorter than the VAE horizon is held at its end
        stale = ctx.splice_tick - w0
        reuse = int(np.clip(stale + self.config.reuse_margin, 1, h - 1))
        # executed history for the ticks before the splice, then the plan still running
        ticks = np.arange(w0, w0 + reuse)
        hist = (ticks < ctx.splice_tick) & (ticks >= ctx.history_first_tick)
        window[:reuse][hist] = ctx.history[ticks[hist] - ctx.history_first_tick]
        if ctx.current is not None:
            planned, rows = ctx.current.window(max(ctx.splice_tick, w0), w0 + reuse - 1)
            window[planned - w0] = rows
        refined = self.vae.reconstruct(window)
        if new.shape[0] > h:  # chunk longer than the window: continue it from the window end
            tail = new[h:].copy()
            blend = min(self.config.blend_ticks, tail.shape[0])
            jump = refined[-1] + (refined[-1] - refined[-2]) - new[h]
            tail[:blend] += np.outer(_basis(self.config.blend_ticks)[0, :blend], jump)
            refined = np.vstack([refined, tail])
        return Plan(w0, refined, ctx.new.chunk_id, anchor=True)
