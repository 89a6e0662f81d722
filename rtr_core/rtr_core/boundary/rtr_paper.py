"""``rtr_paper``: Reuse-then-Refine exactly as the seed implementation (method.md section 4).

With H the VAE horizon and R the reuse index (24 of 48 in the seed; H // 2 by default):
the first chunk runs unrefined; every later one is replaced by
``decode(sample(encode(concat(A_prev_refined[R:H], A_new[R:H]))))`` on the new chunk's time
grid, whose stale prefix the executor then drops. The splice assumes that exactly R steps
elapsed between the two chunks, whatever the real delay, and the latent is sampled (seeded
here for repeatable runs): the weaknesses ``rtr`` fixes, kept for comparison.
"""

from __future__ import annotations

import numpy as np

from ..timeline import Plan
from .base import BoundaryContext, BoundaryError, BoundaryStrategy


class RTRPaperStrategy(BoundaryStrategy):
    name = 'rtr_paper'
    needs_refiner = True

    def __init__(self, config=None, refiner=None):
        super().__init__(config, refiner)
        h = refiner.horizon
        self.reuse = self.config.paper_reuse or h // 2
        if not 1 <= self.reuse < h:
            raise BoundaryError(f'rtr_paper reuse index {self.reuse}: expected 1..{h - 1}')
        self.reset()

    def reset(self) -> None:
        import torch  # only the refining strategies need it (not a robot PC running naive)

        self._prev: np.ndarray | None = None

        self._generator = torch.Generator().manual_seed(self.config.paper_seed)

    def merge(self, ctx: BoundaryContext) -> Plan | None:
        new = ctx.new.positions
        h, r = self.refiner.horizon, self.reuse
        if new.shape[0] != h:
            raise BoundaryError(f'rtr_paper: chunk spans {new.shape[0]} control ticks, the '
                                f'VAE horizon is {h}')
        if self._prev is None:
            refined = new
        else:
            s = np.vstack([self._prev[r:h], new[r:h]])
            if self.config.paper_sample:
                refined = self.refiner.reconstruct_sampled(s, self._generator)
            else:
                refined = self.refiner.reconstruct(s)
        self._prev = refined
        return Plan(ctx.new.first_tick, refined, ctx.new.chunk_id).from_tick(ctx.splice_tick)
