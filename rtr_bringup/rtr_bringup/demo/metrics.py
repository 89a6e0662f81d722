"""Metrics of closed-loop episodes (rtr_core.metrics on the executed command) and their means.

Execution metrics are taken from the first executed chunk action to the end of the task's
time (the expert's duration), so the wait for the very first chunk is not a stall and the
rest after the task is not motion. Deviation is the task's own (mean distance from the shape
to the ink, mm: time-free, so a slower run is not penalised for lagging the expert), plus the
joint-space distance to the expert's plan at the same ticks (mrad, time-aligned). Stall is
method.md's (commanded speed under 0.01 rad/s while the expert moves, or nothing to execute);
idle is the part of it where the executor had nothing to execute (waiting for a chunk).
"""

from __future__ import annotations

import numpy as np

from rtr_core.executor.state import MODE_EXECUTING
from rtr_core.metrics import execution_metrics, latency_stats, tracking_error

from .closed_loop import EpisodeLog, executing_span

#: Summary columns: (header, key in the aggregated row, format).
COLUMNS = (
    ('success', 'success', '{:.0%}'),
    ('deviation mm', 'deviation_mm', '{:.2f}'),
    ('joint dev. mrad', 'joint_deviation_mrad', '{:.1f}'),
    ('jerk mean rad/s^3', 'jerk_mean', '{:.1f}'),
    ('in-chunk jerk p50', 'in_chunk_jerk', '{:.1f}'),
    ('seam gap ratio', 'seam_gap_ratio', '{:.2f}'),
    ('seam gap mrad', 'seam_gap_mrad', '{:.2f}'),
    ('seam jerk ratio', 'seam_jerk_ratio', '{:.1f}'),
    ('stall', 'stall_fraction', '{:.3f}'),
    ('longest stall s', 'longest_stall_s', '{:.2f}'),
    ('idle', 'idle_fraction', '{:.3f}'),
    ('obs->chunk p50 s', 'latency_obs_to_chunk', '{:.3f}'),
    ('chunk->exec p50 s', 'latency_chunk_to_exec', '{:.3f}'),
    ('inference ms', 'inference_ms', '{:.0f}'),
)


def episode_metrics(log: EpisodeLog, period: float) -> dict:
    s = executing_span(log)
    m = execution_metrics(log.command[s], period, log.spliced[s], reference=log.expert[s],
                          idle=log.mode[s] != MODE_EXECUTING)
    started = np.isfinite(log.chunk_starts)
    m['latency'] = {
        'observation_to_chunk': latency_stats(log.chunk_arrivals - log.chunk_stamps),
        'chunk_to_execution': latency_stats(log.chunk_starts[started]
                                            - log.chunk_arrivals[started]),
        'inference': latency_stats(log.inference_seconds),
    }
    m['idle'] = {'fraction': float(np.mean(log.mode[s] != MODE_EXECUTING))}
    m['tracking'] = tracking_error(log.measured[s], log.command[s])
    m['task'] = {'success': log.success, **log.task_metrics}
    m['counters'] = {'ticks': int(log.t.size), 'chunks': int(log.chunk_stamps.size),
                     'rejected': log.rejected, 'clamped_ticks': int(log.clamped[s].sum())}
    return m


def summary_row(per_episode: list[dict]) -> dict[str, float]:
    """Means over episodes of the numbers the summary table shows."""
    def mean(*path):
        values = []
        for m in per_episode:
            v = m
            for key in path:
                v = v[key]
            values.append(float(v))
        values = np.asarray(values)
        values = values[np.isfinite(values)]
        return float(values.mean()) if values.size else float('nan')

    return {
        'episodes': len(per_episode),
        'success': mean('task', 'success'),
        'deviation_mm': mean('task', 'deviation_mean_mm'),
        'joint_deviation_mrad': 1e3 * mean('deviation', 'mean'),
        'jerk_mean': mean('jerk', 'mean'),
        'jerk_p95': mean('jerk', 'p95'),
        'in_chunk_jerk': mean('seam', 'in_chunk_jerk_p50'),
        'seam_gap_ratio': mean('seam', 'gap_ratio_mean'),
        'seam_gap_mrad': 1e3 * mean('seam', 'gap_mean'),
        'seam_jerk_ratio': mean('seam', 'jerk_ratio_mean'),
        'stall_fraction': mean('stall', 'stall_fraction'),
        'longest_stall_s': mean('stall', 'longest_stall_s'),
        'idle_fraction': mean('idle', 'fraction'),
        'latency_obs_to_chunk': mean('latency', 'observation_to_chunk', 'p50'),
        'latency_chunk_to_exec': mean('latency', 'chunk_to_execution', 'p50'),
        'inference_ms': 1e3 * mean('latency', 'inference', 'p50'),
        'tracking_mrad': 1e3 * mean('tracking', 'mean'),
        'clamped_ticks': mean('counters', 'clamped_ticks'),
        'rejected': mean('counters', 'rejected'),
    }


def summary_table(rows: dict[str, dict[str, float]]) -> str:
    head = '| run | ' + ' | '.join(c[0] for c in COLUMNS) + ' |'
    lines = [head, '|' + '---|' * (len(COLUMNS) + 1)]
    for name, row in rows.items():
        cells = []
        for _, key, fmt in COLUMNS:
            v = row.get(key)
            cells.append('n/a' if v is None or not np.isfinite(v) else fmt.format(v))
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
