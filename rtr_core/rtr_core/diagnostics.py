"""Diagnostics of the nodes as (level, message, key-values), ROS-free.

The nodes turn them into diagnostic_msgs/DiagnosticStatus on /diagnostics (levels follow
DiagnosticStatus: 0 OK, 1 WARN, 2 ERROR).
"""

from __future__ import annotations

from .executor.state import MODE_HOLDING, MODE_IDLE, ExecutorState
from .realtime import LatenessStats

OK, WARN, ERROR = 0, 1, 2


def executor_diagnostics(state: ExecutorState, lateness: LatenessStats
                         ) -> tuple[int, str, list[tuple[str, str]]]:
    period_ms = state.control_period * 1e3
    values = [
        ('strategy', state.strategy),
        ('mode', {MODE_IDLE: 'idle', MODE_HOLDING: 'holding'}.get(state.mode, 'executing')),
        ('chunk_id', str(state.chunk_id)),
        ('planned_actions_left', str(state.planned_actions_left)),
        ('chunks_accepted', str(state.chunks_accepted)),
        ('chunks_rejected', str(state.chunks_rejected)),
        ('last_rejection_reason', state.last_rejection_reason),
        ('clamped_ticks', str(state.clamped_ticks)),
        ('clipped_chunks', str(state.clipped_chunks)),
        ('stall_ticks', str(state.stall_ticks)),
        ('tick_lateness_p50_ms', f'{lateness.p50_ms:.3f}'),
        ('tick_lateness_p99_ms', f'{lateness.p99_ms:.3f}'),
        ('tick_lateness_max_ms', f'{lateness.max_ms:.3f}'),
        ('missed_ticks', str(lateness.overruns)),
    ]
    if lateness.ticks and lateness.p99_ms > period_ms:
        return WARN, f'ticks late: p99 {lateness.p99_ms:.1f} ms > period', values
    if state.mode == MODE_HOLDING:
        return WARN, 'holding: no valid plan (policy stalled?)', values
    if state.mode == MODE_IDLE:
        return OK, 'waiting for the first chunk', values
    return OK, 'executing', values


def policy_diagnostics(stats) -> tuple[int, str, list[tuple[str, str]]]:
    """Diagnostics of the inference worker (:class:`~rtr_core.inference.InferenceStats`)."""
    values = [
        ('chunks', str(stats.chunks)),
        ('latency_p50_ms', f'{stats.latency_p50_ms:.1f}'),
        ('latency_p95_ms', f'{stats.latency_p95_ms:.1f}'),
        ('compute_p50_ms', f'{stats.compute_p50_ms:.1f}'),
        ('skipped_stale_or_missing', str(stats.skipped)),
        ('policy_errors', str(stats.failed)),
        *[(f'dropped_{name}', str(n)) for name, n in sorted(stats.dropped.items())],
    ]
    if stats.last_problem:
        return WARN, f'not inferring: {stats.last_problem}', values
    if stats.failed:
        return WARN, f'{stats.failed} policy errors', values
    return OK, 'inferring' if stats.chunks else 'waiting for a trigger', values
