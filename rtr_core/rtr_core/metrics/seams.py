"""Seams: what a chunk hand-over looks like in the executed motion (method.md section 6).

Defined so that no strategy's own smoothing can flatter it:

- **seam gap** at hand-over tick s: ``|p_s - 2 p_(s-1) + p_(s-2)|`` (norm over joints), how
  much the hand-over step differs from the step before it. Ordinary motion at steady
  velocity scores 0 however fast it is (the old ``|p_s - p_(s-1)|`` was mostly that motion,
  ~5 mrad per tick); a position jump J scores J. Its **ratio** divides it by the median of
  the same second difference over the in-chunk ticks (1.0: the hand-over step changes no
  more than any step inside a chunk).
- **seam jerk**: the largest jerk norm whose stencil lies within ``reach`` (3) ticks of the
  hand-over, in units/s^3; its ratio divides it by the median in-chunk jerk.
- **in-chunk ticks**: ticks that are neither within ``reach`` ticks of a hand-over nor in the
  blend after one (``blend`` ticks), of ANY run compared on the same episode
  (:func:`quiet_ticks`). Every run's baseline is taken over the same ticks, so a strategy
  that smooths after its own hand-overs (the anchor blends over ``blend_ticks``) does not
  raise its own baseline, and a strategy is never compared with a rougher or calmer part of
  the motion than another.

A baseline over fewer than ``MIN_QUIET`` samples is NaN (reported as n/a), not a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .smoothness import jerk

_FLOOR = 1e-12
MIN_QUIET = 10  # samples a baseline needs


def _summary(values: np.ndarray, prefix: str) -> dict[str, float]:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {f'{prefix}_mean': float('nan'), f'{prefix}_p50': float('nan'),
                f'{prefix}_p95': float('nan'), f'{prefix}_max': float('nan')}
    return {f'{prefix}_mean': float(values.mean()),
            f'{prefix}_p50': float(np.percentile(values, 50)),
            f'{prefix}_p95': float(np.percentile(values, 95)),
            f'{prefix}_max': float(values.max())}


def seam_ticks(spliced: np.ndarray) -> np.ndarray:
    """Indices of hand-overs: ticks where a new plan took over, the very first one excluded
    (starting is not a seam)."""
    idx = np.flatnonzero(np.asarray(spliced, dtype=bool))
    return idx[1:]


def shared_quiet_ticks(runs: Iterable[tuple[np.ndarray, np.ndarray]], period: float,
                       blend: int = 0) -> list[np.ndarray]:
    """For several runs of one episode, each given as (tick times, spliced flags): per run, a
    mask of its ticks that are in-chunk for EVERY run (:func:`quiet_ticks` over all their
    hand-overs on the shared tick grid), so all runs' baselines use the same ticks."""
    runs = list(runs)
    ticks = [np.round(np.asarray(t) / period).astype(np.int64) for t, _ in runs]
    first = min(int(k[0]) for k in ticks)
    n = max(int(k[-1]) for k in ticks) - first + 1
    quiet = quiet_ticks(n, [k[seam_ticks(spliced)] - first
                            for k, (_, spliced) in zip(ticks, runs, strict=True)], blend=blend)
    return [quiet[k - first] for k in ticks]


def quiet_ticks(n: int, seams: Iterable[np.ndarray], reach: int = 3, blend: int = 0
                ) -> np.ndarray:
    """(n,) True at the ticks that are in-chunk for every run: not within ``reach`` ticks
    before, nor within ``max(reach, blend)`` ticks after, any hand-over in ``seams`` (one
    array of tick indices per run, all on the same tick grid)."""
    quiet = np.ones(n, dtype=bool)
    after = max(reach, blend)
    for run in seams:
        for s in np.asarray(run, dtype=np.int64).reshape(-1):
            quiet[max(0, s - reach):max(0, min(n, s + after + 1))] = False
    return quiet


def _stencils_quiet(quiet: np.ndarray, width: int) -> np.ndarray:
    """Samples of a ``width``-tick stencil (sample i spans ticks i .. i+width-1) that lie
    wholly on quiet ticks."""
    q = np.asarray(quiet, dtype=bool)
    if q.size < width:
        return np.zeros(0, dtype=bool)
    out = q[:q.size - width + 1].copy()
    for k in range(1, width):
        out &= q[k:q.size - width + 1 + k]
    return out


def _baseline(values: np.ndarray, quiet: np.ndarray) -> float:
    base = values[quiet]
    return float(np.median(base)) if base.size >= MIN_QUIET else float('nan')


def _ratio(values: np.ndarray, base: float) -> np.ndarray:
    """``values`` over the in-chunk baseline; NaN where there is no baseline or it is zero
    (a robot standing still between seams has no motion to compare a seam with)."""
    if not base > _FLOOR:
        return np.full(np.shape(values), np.nan)
    return values / base


def _valid(seams: np.ndarray, n: int, lo: int) -> np.ndarray:
    return np.asarray([s for s in np.asarray(seams).reshape(-1) if lo <= s < n], dtype=np.int64)


def seam_gaps(positions: np.ndarray, seams: np.ndarray, quiet: np.ndarray | None = None,
              blend: int = 0) -> dict[str, float]:
    """Seam gap (units per tick) and its ratio over the in-chunk second difference.

    ``quiet`` (T,) marks the in-chunk ticks (default: :func:`quiet_ticks` of these seams
    alone with ``blend``)."""
    p = np.asarray(positions, dtype=np.float64)
    dd = np.linalg.norm(np.diff(p, n=2, axis=0), axis=1)  # dd[i] spans ticks i .. i+2
    seams = _valid(seams, p.shape[0], 2)
    if quiet is None:
        quiet = quiet_ticks(p.shape[0], [seams], blend=blend)
    base = _baseline(dd, _stencils_quiet(quiet, 3))
    gaps = dd[seams - 2] if seams.size else np.zeros(0)
    return {**_summary(_ratio(gaps, base), 'gap_ratio'), **_summary(gaps, 'gap'),
            'in_chunk_gap_p50': base, 'seams': int(seams.size)}


def seam_jerk(positions: np.ndarray, seams: np.ndarray, dt: float,
              quiet: np.ndarray | None = None, blend: int = 0, reach: int = 3
              ) -> dict[str, float]:
    """Seam jerk, absolute (units/s^3) and over the in-chunk jerk p50 (see the module)."""
    p = np.asarray(positions, dtype=np.float64)
    norm = np.linalg.norm(jerk(p, dt), axis=1)  # norm[i] spans ticks i .. i+3
    seams = _valid(seams, p.shape[0], 1)
    if quiet is None:
        quiet = quiet_ticks(p.shape[0], [seams], reach, blend)
    base = _baseline(norm, _stencils_quiet(quiet, 4))
    peaks = []
    for s in seams:
        # stencils centred (i + 1.5) within `reach` ticks of the seam step (s - 0.5)
        lo, hi = max(0, s - 2 - reach), min(norm.size, s + reach - 1)
        if hi > lo:
            peaks.append(norm[lo:hi].max())
    peaks = np.asarray(peaks)
    return {**_summary(_ratio(peaks, base), 'jerk_ratio'),
            **_summary(peaks, 'jerk'), 'in_chunk_jerk_p50': base,
            'in_chunk_samples': int(_stencils_quiet(quiet, 4).sum())}
