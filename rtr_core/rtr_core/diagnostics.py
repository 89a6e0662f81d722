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
        ('late_merges', str(state.late_merges)),
        ('tick_lateness_p50_ms', f'{lateness.p50_ms:.3f}'),
        ('tick_lateness_p99_ms', f'{lateness.p99_ms:.3f}'),
        ('tick_lateness_max_ms', f'{lateness.max_ms:.3f}'),
        ('tick_lateness_worst', '' if lateness.worst is None else str(lateness.worst)),
        ('missed_ticks', str(lateness.overruns)),
        ('tick_errors', str(lateness.errors)),
        ('last_tick_error', lateness.last_error),
    ]
    if lateness.failing:
        return ERROR, f'control tick failing ({lateness.failing} in a row), holding: ' \
                      f'{lateness.last_error}', values
    if lateness.ticks and lateness.p99_ms > period_ms:
        return WARN, f'ticks late: p99 {lateness.p99_ms:.1f} ms > period', values
    if state.mode == MODE_HOLDING:
        return WARN, 'holding: no valid plan (policy stalled?)', values
    if state.mode == MODE_IDLE:
        return OK, 'waiting for the first chunk', values
    return OK, 'executing', values


def policy_diagnostics(stats, source: dict[str, str] | None = None
                       ) -> tuple[int, str, list[tuple[str, str]]]:
    """Diagnostics of the inference worker (:class:`~rtr_core.inference.InferenceStats`) and
    of its chunk source (``ChunkSource.stats()``: rejected replies by kind, reconnects)."""
    values = [
        ('chunks', str(stats.chunks)),
        ('latency_p50_ms', f'{stats.latency_p50_ms:.1f}'),
        ('latency_p95_ms', f'{stats.latency_p95_ms:.1f}'),
        ('compute_p50_ms', f'{stats.compute_p50_ms:.1f}'),
        ('skipped_stale_or_missing', str(stats.skipped)),
        ('policy_errors', str(stats.failed)),
        ('last_policy_error', stats.last_error),
        ('chunks_rejected_by_executor', str(stats.rejected)),
        ('chunks_unconfirmed', str(stats.unconfirmed)),
        *[(f'dropped_{name}', str(n)) for name, n in sorted(stats.dropped.items())],
        *[(f'source_{k}', v) for k, v in (source or {}).items()],
    ]
    if not stats.alive:
        return ERROR, 'inference thread stopped', values
    if stats.failing:
        return ERROR, f'policy failing ({stats.failing} in a row): {stats.last_error}', values
    if source and int(source.get('rejected_replies', '0')):
        return WARN, (f'{source["rejected_replies"]} replies rejected, last: '
                      f'{source.get("last_rejection", "")}'), values
    if stats.last_problem:
        return WARN, f'not inferring: {stats.last_problem}', values
    if stats.failed:
        return WARN, f'{stats.failed} policy errors', values
    return OK, 'inferring' if stats.chunks else 'waiting for a trigger', values
