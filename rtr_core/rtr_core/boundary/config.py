"""Parameters of the boundary strategies, range-checked where a value cannot work.

Limits that depend on the action VAE (its horizon H) are checked by the strategy that uses
them when it gets its refiner (:class:`~rtr_core.boundary.rtr.RTRStrategy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import ConfigError


@dataclass(frozen=True)
class BoundaryConfig:
    """Parameters of the boundary strategies; each strategy reads the fields it needs."""

    # weighted_average: LeRobot preset name or explicit (w_old, w_new)
    preset: str = 'weighted_average'
    weights: tuple[float, float] | None = None
    # temporal_ensemble (ACT): weight exp(-m * i), i = 0 for the oldest prediction
    ensemble_m: float = 0.01
    # crossfade: overlap ticks faded over (0 = the whole overlap)
    crossfade_ticks: int = 0
    # rtr_paper: the seed's splice index R (H // 2 when 0) and latent sampling
    paper_reuse: int = 0
    paper_sample: bool = True
    paper_seed: int = 0
    # rtr (ours): ticks of old plan reused beyond the splice tick, executed ticks before the
    # splice inside the refinement window, hand-over blend length, and whether the VAE's
    # correction is applied as a residual on the new chunk (see boundary/rtr.py)
    reuse_margin: int = 2
    lookback_ticks: int = 12
    blend_ticks: int = 20
    refine: bool = True
    residual: bool = True
    # rtr: project the window through the VAE instead of applying its residual when the new
    # chunk's median jerk is more than this many times its reconstruction's (a jittery chunk
    # off the VAE's manifold, which only the VAE can smooth); 0: never. Demo chunks: the
    # latent policy's 0.8-14x, the direct 60 Hz policy's 170-7500x
    project_above: float = 50.0
    # ... and only when the reconstruction stays this close to the chunk (mean |difference|,
    # rad): a VAE that does not represent the chunk (untrained, other robot) would replace
    # the policy's motion by its own (an untrained VAE moved a soak 50-94 mrad off, 5 without).
    # Measured on jittery test chunks: a trained VAE 0.008-0.040, an untrained one 0.27-0.41
    project_tolerance: float = 0.1
    # any strategy: anchor its plans to the executed trajectory at the hand-over over
    # ``blend_ticks`` (boundary/anchor.py; ``rtr`` and ``anchor`` always do)
    anchor: bool = False
    # with the anchor (rtr, anchor, or ``anchor``): before merging, advance a new chunk that
    # is behind the arm along its path by up to this many ticks, so that it passes the last
    # executed command (boundary/retime.py): that part of the hand-over residual becomes a
    # time shift instead of a speed swing; 0: off. ``retime_behind`` also delays a chunk
    # that is ahead of the arm (more of the swing removed, but the arm fell 0.5-0.9 s behind
    # the expert's pace in the demo; docs/regimes.md)
    retime_ticks: float = 0.0
    retime_behind: bool = False

    def __post_init__(self) -> None:
        for name, least in (('crossfade_ticks', 0), ('paper_reuse', 0), ('reuse_margin', 0),
                            ('lookback_ticks', 0), ('blend_ticks', 1)):
            value = getattr(self, name)
            if value < least:
                raise ConfigError(f'executor boundary.{name}: expected an integer >= {least}, '
                                  f'got {value}')
        if not (math.isfinite(self.retime_ticks) and self.retime_ticks >= 0):
            raise ConfigError(f'executor boundary.retime_ticks: expected a finite number >= 0 '
                              f'(ticks), got {self.retime_ticks}')
        if not (math.isfinite(self.project_tolerance) and self.project_tolerance >= 0):
            raise ConfigError(f'executor boundary.project_tolerance: expected a finite number '
                              f'>= 0 (rad), got {self.project_tolerance}')
        if not math.isfinite(self.ensemble_m):
            raise ConfigError(f'executor boundary.ensemble_m: expected a finite number, got '
                              f'{self.ensemble_m}')
