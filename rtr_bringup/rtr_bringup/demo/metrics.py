"""Metrics of closed-loop episodes (rtr_core.metrics on the executed command) and their means.

Execution metrics are taken from the first executed chunk action to the end of the task's
time (the expert's duration), so the wait for the very first chunk is not a stall and the
rest after the task is not motion. Deviation is the task's own (mean distance from the shape
to the ink, mm: time-free, so a slower run is not penalised for lagging the expert), plus the
joint-space distance to the expert's plan at the same ticks (mrad, time-aligned). Stall is
method.md's (commanded speed under 0.01 rad/s while the expert moves, or nothing to execute);
idle is the part of it where the executor had nothing to execute (waiting for a chunk).
Seam baselines are taken over the ticks that are in-chunk for every run of the same episode
(:func:`episode_quiet`), so no strategy's own blend after a hand-over raises its baseline.
Speed tracking is the RMS of the commanded tool-tip speed minus the expert's (mm/s), at the
same tick and along the path (the expert's speed where it passed closest to the command,
within 0.5 s: a run that keeps the expert's speed profile a little late is not charged for
the lag; rtr_core.metrics.speed_tracking).
"""

from __future__ import annotations

import numpy as np

from rtr_core.executor.state import MODE_EXECUTING
from rtr_core.metrics import (
    execution_metrics,
    latency_stats,
    shared_quiet_ticks,
    speed_tracking,
    tracking_error,
)
from rtr_core.metrics.intervals import success_text

from .closed_loop import EpisodeLog, executing_span

#: Summary columns: (header, key in the aggregated row, format).
COLUMNS = (
    ('success (95% CI)', 'success_text', '{}'),
    ('deviation mm', 'deviation_mm', '{:.2f}'),
    ('joint dev. mrad', 'joint_deviation_mrad', '{:.1f}'),
    ('speed RMS mm/s', 'speed_rms', '{:.1f}'),
    ('speed RMS along path', 'speed_path_rms', '{:.1f}'),
    ('jerk mean rad/s^3', 'jerk_mean', '{:.1f}'),
    ('in-chunk jerk p50', 'in_chunk_jerk', '{:.1f}'),
    ('seam jerk rad/s^3', 'seam_jerk', '{:.1f}'),
    ('seam jerk ratio', 'seam_jerk_ratio', '{:.1f}'),
    ('seam gap mrad', 'seam_gap_mrad', '{:.2f}'),
    ('seam gap ratio', 'seam_gap_ratio', '{:.2f}'),
    ('stall', 'stall_fraction', '{:.3f}'),
    ('longest stall s', 'longest_stall_s', '{:.2f}'),
    ('idle', 'idle_fraction', '{:.3f}'),
    ('obs->chunk p50 s', 'latency_obs_to_chunk', '{:.3f}'),
    ('chunk->exec p50 s', 'latency_chunk_to_exec', '{:.3f}'),
    ('inference ms', 'inference_ms', '{:.0f}'),
)


def transition_ticks(strategy: str, boundary, overlap: int) -> int:
    """Ticks after a hand-over over which ``strategy`` blends old into new: the anchor's
    ``blend_ticks`` (``rtr``, ``anchor``, or any strategy with ``boundary.anchor``), the
    overlap with the previous plan for the averaging strategies, else none."""
    ticks = 0
    if strategy in ('rtr', 'anchor') or boundary.anchor:
        ticks = boundary.blend_ticks
    if strategy in ('weighted_average', 'temporal_ensemble', 'crossfade'):
        ticks = max(ticks, overlap)
    return ticks


def run_blend(run, config, period: float) -> int:
    """Ticks after each hand-over that demo run ``run`` blends (:func:`transition_ticks` with
    its executor's boundary config); the overlap of a new chunk with the plan it replaces is
    at most the plan left when inference is triggered, less the shortest latency."""
    from .closed_loop import executor_config

    overlap = max(0, config.trigger_threshold - int(np.floor(config.latency.low / period)))
    return transition_ticks(run.strategy, executor_config(run, config).boundary, overlap)


def episode_quiet(logs: list[EpisodeLog], period: float, blend: int) -> list[np.ndarray]:
    """For the runs ``logs`` of one episode: each log's in-chunk ticks, the same ticks for all
    (not within 3 ticks before, nor ``blend`` after, any hand-over of any of them)."""
    return shared_quiet_ticks([(log.t, log.spliced) for log in logs], period, blend)


def episode_metrics(log: EpisodeLog, period: float, quiet: np.ndarray | None = None,
                    blend: int = 0) -> dict:
    """Metrics of one episode; ``quiet`` (one per tick of ``log``) from :func:`episode_quiet`
    (default: this run's own hand-overs and ``blend``)."""
    s = executing_span(log)
    m = execution_metrics(log.command[s], period, log.spliced[s], reference=log.expert[s],
                          idle=log.mode[s] != MODE_EXECUTING,
                          quiet=None if quiet is None else quiet[s], blend=blend)
    m['speed'] = {k: 1e3 * v if k != 'relative' else v for k, v in
                  speed_tracking(log.command_tip[s], log.expert_tip[s], period,
                                 window=int(round(0.5 / period))).items()}
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

    successes = int(sum(bool(m['task']['success']) for m in per_episode))
    return {
        'episodes': len(per_episode),
        'successes': successes,
        'success_text': success_text(successes, len(per_episode)),
        'success': mean('task', 'success'),
        'deviation_mm': mean('task', 'deviation_mean_mm'),
        'joint_deviation_mrad': 1e3 * mean('deviation', 'mean'),
        'jerk_mean': mean('jerk', 'mean'),
        'jerk_p95': mean('jerk', 'p95'),
        'in_chunk_jerk': mean('seam', 'in_chunk_jerk_p50'),
        'seam_gap_ratio': mean('seam', 'gap_ratio_mean'),
        'seam_gap_mrad': 1e3 * mean('seam', 'gap_mean'),
        'seam_jerk': mean('seam', 'jerk_mean'),
        'seam_jerk_ratio': mean('seam', 'jerk_ratio_mean'),
        'speed_rms': mean('speed', 'rms'),
        'speed_path_rms': mean('speed', 'path_rms'),
        'speed_relative': mean('speed', 'relative'),
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
            if isinstance(v, str):
                cells.append(v)
            else:
                cells.append('n/a' if v is None or not np.isfinite(v) else fmt.format(v))
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
