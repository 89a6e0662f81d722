"""Boundary strategies: how a new chunk takes over from the plan being executed.

Every strategy is one object behind :class:`BoundaryStrategy`, chosen by name::

    strategy = make_strategy('rtr', BoundaryConfig(), refiner=Refiner(action_vae, joint_names))
"""

from __future__ import annotations

from .anchor import AnchorStrategy
from .base import BoundaryContext, BoundaryError, BoundaryStrategy
from .crossfade import CrossfadeStrategy
from .naive import NaiveStrategy
from .refiner import Refiner
from .rtr import RTRStrategy
from .rtr_paper import RTRPaperStrategy
from .sync import SyncStrategy
from .temporal_ensemble import TemporalEnsembleStrategy
from .weighted_average import PRESETS, WeightedAverageStrategy

STRATEGIES: dict[str, type[BoundaryStrategy]] = {
    cls.name: cls
    for cls in (SyncStrategy, NaiveStrategy, WeightedAverageStrategy, TemporalEnsembleStrategy,
                CrossfadeStrategy, AnchorStrategy, RTRPaperStrategy, RTRStrategy)
}


def make_strategy(name: str, config=None, refiner: Refiner | None = None) -> BoundaryStrategy:
    """The strategy called ``name``; ``refiner`` wraps the action VAE (or None)."""
    if name not in STRATEGIES:
        raise BoundaryError(f'unknown boundary strategy {name!r}; expected one of '
                            f'{", ".join(STRATEGIES)}')
    return STRATEGIES[name](config, refiner)


__all__ = ['PRESETS', 'STRATEGIES', 'BoundaryContext', 'BoundaryError', 'BoundaryStrategy',
           'Refiner', 'make_strategy']
