"""Uncertainty of results over a few episodes: a success count's interval, a paired difference.

A learned policy's episodes differ more from each other than strategies differ on one
episode, so numbers over 12-24 episodes are quoted with their 95% intervals: 2/24 is not
better than 1/24 (their Wilson intervals overlap almost entirely), and two runs on the same
episodes are compared episode by episode (paired bootstrap of the mean difference).
"""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a success rate (95% for z = 1.96); (nan, nan) for no trials.

    Unlike the normal approximation it stays inside [0, 1] and is not zero-width at 0/n."""
    if trials <= 0:
        return float('nan'), float('nan')
    if not 0 <= successes <= trials:
        raise ValueError(f'wilson_interval: successes={successes} must be in [0, {trials}]')
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def success_text(successes: int, trials: int) -> str:
    """``'2/24 (1-26%)'``: the count and its 95% Wilson interval."""
    lo, hi = wilson_interval(successes, trials)
    if not math.isfinite(lo):
        return 'n/a'
    return f'{successes}/{trials} ({100 * lo:.0f}-{100 * hi:.0f}%)'


def paired_difference(a, b, samples: int = 10000, seed: int = 0
                      ) -> tuple[float, float, float]:
    """Mean of ``a - b`` over paired episodes (the same held-out seeds) and its 95% bootstrap
    confidence interval: how far apart two runs really are, given the episode-to-episode
    spread. Pairs where either value is not finite are left out."""
    with np.errstate(invalid='ignore'):  # inf - inf: left out below
        d = np.asarray(a, float) - np.asarray(b, float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float('nan'), float('nan'), float('nan')
    idx = np.random.default_rng(seed).integers(0, d.size, (samples, d.size))
    means = d[idx].mean(axis=1)
    return float(d.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))
