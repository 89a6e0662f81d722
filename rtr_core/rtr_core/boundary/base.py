"""One interface for every boundary strategy: merge a new chunk into what is planned.

The executor calls :meth:`BoundaryStrategy.merge` when a chunk arrives (never on the tick
path) and splices the returned plan in at ``ctx.splice_tick``. A strategy only sees numpy
arrays on the executor's tick grid and does not know which executor runs it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..chunk import Chunk
from ..errors import RtrError
from ..timeline import Plan
from .config import BoundaryConfig


class BoundaryError(RtrError):
    """A strategy that cannot run as configured (unknown name, missing VAE, bad weights)."""


@dataclass(frozen=True)
class BoundaryContext:
    """Everything a strategy may use, snapshotted when the chunk arrived.

    ``new`` is the chunk on the tick grid including its stale ticks; ``current`` the plan
    that would run from ``splice_tick`` on without the new chunk (None if nothing is
    planned); ``history`` the executed commands for ticks ``history_first_tick`` up to
    ``splice_tick - 1`` (may be empty before the first tick).
    """

    new: Plan
    chunk: Chunk
    current: Plan | None
    splice_tick: int
    history: np.ndarray
    history_first_tick: int
    period: float

    @property
    def new_fresh(self) -> Plan | None:
        """The new chunk from the splice tick on (its stale actions dropped)."""
        return self.new.from_tick(self.splice_tick)


class BoundaryStrategy(ABC):
    name: ClassVar[str]
    needs_refiner: ClassVar[bool] = False
    #: its plans are anchored at the hand-over (boundary/anchor.py), and so re-timed first
    #: when ``retime_ticks`` > 0 (boundary/retime.py)
    anchors: ClassVar[bool] = False

    def __init__(self, config: BoundaryConfig | None = None, refiner=None):
        """``refiner``: the action VAE in the executor's joint order (:class:`.Refiner`)."""
        self.config = config or BoundaryConfig()
        self.refiner = refiner
        if self.needs_refiner and refiner is None:
            raise BoundaryError(f'boundary strategy {self.name!r} needs an action VAE '
                                f'(e.g. --vae CKPT)')

    @abstractmethod
    def merge(self, ctx: BoundaryContext) -> Plan | None:
        """The plan to run from ``ctx.splice_tick`` on (None: nothing usable, keep current)."""

    def reset(self) -> None:
        """Forget per-run state (a new episode)."""
        return None
