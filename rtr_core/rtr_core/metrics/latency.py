"""Latencies (observation to chunk, chunk to execution) as p50 / p95 / max in seconds."""

from __future__ import annotations

import numpy as np


def latency_stats(seconds) -> dict[str, float]:
    x = np.asarray(seconds, dtype=np.float64).reshape(-1)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {'p50': float('nan'), 'p95': float('nan'), 'max': float('nan')}
    return {'p50': float(np.median(x)), 'p95': float(np.percentile(x, 95)),
            'max': float(x.max())}
