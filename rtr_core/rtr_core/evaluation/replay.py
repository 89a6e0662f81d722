"""Offline replay of a recorded ActionChunk stream through the executor, per strategy.

Each chunk is delivered at its recorded arrival time (the bag's receive time) and the
executor is ticked at its control rate over the whole stream, exactly as the ROS node and
the simulator drive it; nothing here re-implements the timeline. The result is what every
strategy would have commanded on the recorded stream, with the metrics of
:mod:`rtr_core.metrics`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..bag import BagError, BagReader
from ..executor.config import ExecutorConfig
from ..executor.executor import ChunkExecutor, Reception
from ..executor.state import MODE_EXECUTING
from ..metrics import execution_metrics, latency_stats, shared_quiet_ticks
from ..msgs import MessageFormatError, chunk_from_msg, joint_state_from_msg
from ..timeline import tick_of
from .chunk_stream import CHUNK_TOPIC, REFERENCE_TOPIC, RecordedChunk


@dataclass(frozen=True)
class RecordedStream:
    chunks: list[RecordedChunk]
    joint_names: tuple[str, ...]
    reference_t: np.ndarray | None = None  # (N,)
    reference: np.ndarray | None = None  # (N, J) in joint_names order

    def reference_at(self, t: np.ndarray) -> np.ndarray | None:
        if self.reference is None:
            return None
        return np.column_stack([np.interp(t, self.reference_t, self.reference[:, j])
                                for j in range(self.reference.shape[1])])


@dataclass
class Trace:
    """What one strategy commanded, tick by tick (only ticks with a command)."""

    strategy: str
    t: np.ndarray
    positions: np.ndarray  # (T, J)
    velocities: np.ndarray  # (T, J)
    mode: np.ndarray
    chunk_id: np.ndarray
    spliced: np.ndarray
    clamped: np.ndarray
    receptions: list[tuple[float, Reception]]
    prepare_seconds: np.ndarray


def load_stream(path: str | Path, chunk_topic: str = CHUNK_TOPIC,
                reference_topic: str | None = REFERENCE_TOPIC) -> RecordedStream:
    """Chunks (with receive times) and, if recorded, the reference from a rosbag2."""
    chunks: list[RecordedChunk] = []
    ref_t, ref_q, ref_names = [], [], None
    with BagReader(path) as bag:
        bag.require(chunk_topic, 'rtr_msgs/msg/ActionChunk')
        topics = [chunk_topic]
        if reference_topic and reference_topic in bag.topics:
            topics.append(reference_topic)
        for m in bag.messages(topics):
            try:
                if m.topic == chunk_topic:
                    chunks.append(RecordedChunk(m.time, chunk_from_msg(m.msg)))
                else:
                    stamp, names, q, _ = joint_state_from_msg(m.msg)
                    ref_names = ref_names or names
                    ref_t.append(stamp)
                    ref_q.append(q[[names.index(n) for n in ref_names]])
            except (MessageFormatError, ValueError) as exc:
                raise BagError(f'{path}: topic {m.topic} at t={m.time:.6f}s: {exc}') from exc
    if not chunks:
        raise BagError(f'{path}: no ActionChunk messages on {chunk_topic}')
    names = chunks[0].chunk.joint_names
    if ref_names is None:
        return RecordedStream(chunks, names)
    missing = [n for n in names if n not in ref_names]
    if missing:
        raise BagError(f'{path}: {reference_topic} lacks joints {missing}')
    q = np.asarray(ref_q)[:, [ref_names.index(n) for n in names]]
    return RecordedStream(chunks, names, np.asarray(ref_t), q)


def strategy_config(spec: str, config: ExecutorConfig) -> ExecutorConfig:
    """``config`` running strategy ``spec``: a strategy name, or ``NAME+anchor`` for that
    strategy with the hand-over anchor (``BoundaryConfig.anchor``), e.g. ``rtr_paper+anchor``."""
    from ..boundary import STRATEGIES, BoundaryError

    name, plus, extra = spec.partition('+')
    if name not in STRATEGIES or (plus and extra != 'anchor'):
        raise BoundaryError(f'strategy: unknown {spec}; expected one of '
                            f'{", ".join(STRATEGIES)}, optionally with +anchor (e.g. '
                            f'rtr_paper+anchor)')
    boundary = dataclasses.replace(config.boundary, anchor=True) if plus else config.boundary
    return dataclasses.replace(config, strategy=name, boundary=boundary)


def replay(stream: RecordedStream, strategy: str, config: ExecutorConfig | None = None,
           action_vae=None, tail: float = 0.0) -> Trace:
    """Run ``strategy`` (see :func:`strategy_config`) over the stream; ticks from the first
    arrival to the end of the last chunk (plus ``tail`` seconds)."""
    cfg = strategy_config(strategy, config or ExecutorConfig(joint_names=stream.joint_names))
    ex = ChunkExecutor(cfg, action_vae=action_vae)
    period = cfg.control_period
    chunks = sorted(stream.chunks, key=lambda c: c.arrival)
    last_end = max(c.chunk.start_time + (c.chunk.horizon - 1) * c.chunk.dt for c in chunks)
    first = tick_of(chunks[0].arrival, period)
    last = tick_of(last_end + tail, period)
    rows: list = []
    receptions: list[tuple[float, Reception]] = []
    i = 0
    for k in range(first, last + 1):
        now = k * period
        while i < len(chunks) and chunks[i].arrival <= now + 1e-9:
            receptions.append((chunks[i].arrival, ex.receive(chunks[i].chunk, chunks[i].arrival)))
            i += 1
        r = ex.tick(now)
        if r.position is not None:
            rows.append(r)
    if not rows:
        raise BagError(f'strategy {strategy}: no chunk of the stream could be executed; '
                       f'rejections: {[rc.reason for _, rc in receptions if not rc.accepted]}')
    return Trace(
        strategy, np.array([r.time for r in rows]), np.array([r.position for r in rows]),
        np.array([r.velocity for r in rows]), np.array([r.mode for r in rows]),
        np.array([r.chunk_id for r in rows]), np.array([r.spliced for r in rows]),
        np.array([r.clamped for r in rows]), receptions,
        np.array([rc.prepare_seconds for _, rc in receptions if rc.accepted]))


def trace_metrics(trace: Trace, stream: RecordedStream, period: float,
                  quiet: np.ndarray | None = None, blend: int = 0) -> dict:
    """:func:`rtr_core.metrics.execution_metrics` of a trace plus its latencies and counters;
    ``quiet`` (one per tick of the trace) from :func:`common_quiet`."""
    ref = stream.reference_at(trace.t)
    out = execution_metrics(trace.positions, period, trace.spliced, reference=ref,
                            idle=trace.mode != MODE_EXECUTING, quiet=quiet, blend=blend)
    stamps = {rc.chunk.chunk_id: rc.chunk.stamp for rc in stream.chunks}
    accepted = [(t, r) for t, r in trace.receptions if r.accepted]
    started = {}
    for t, cid, sp in zip(trace.t, trace.chunk_id, trace.spliced, strict=True):
        if sp and cid not in started:
            started[int(cid)] = t
    out['latency'] = {
        'observation_to_chunk': latency_stats([t - stamps[r.chunk_id] for t, r in accepted]),
        'chunk_to_execution': latency_stats([started[r.chunk_id] - t for t, r in accepted
                                             if r.chunk_id in started]),
    }
    out['counters'] = {
        'ticks': int(trace.t.size), 'chunks_accepted': len(accepted),
        'chunks_rejected': len(trace.receptions) - len(accepted),
        'clamped_ticks': int(trace.clamped.sum()),
    }
    return out


# --- a full evaluation: every strategy, metrics table, plots, executed trajectories ----------

TABLE_COLUMNS = (
    ('deviation mean', ('deviation', 'mean'), '{:.4f}'),
    ('jerk mean', ('jerk', 'mean'), '{:.1f}'),
    ('jerk p95', ('jerk', 'p95'), '{:.1f}'),
    ('jerk max', ('jerk', 'max'), '{:.1f}'),
    ('seam jerk', ('seam', 'jerk_mean'), '{:.1f}'),
    ('seam jerk ratio', ('seam', 'jerk_ratio_mean'), '{:.1f}'),
    ('seam gap', ('seam', 'gap_mean'), '{:.5f}'),
    ('seam gap ratio', ('seam', 'gap_ratio_mean'), '{:.2f}'),
    ('stall', ('stall', 'stall_fraction'), '{:.3f}'),
    ('longest stall s', ('stall', 'longest_stall_s'), '{:.2f}'),
    ('clamped', ('counters', 'clamped_ticks'), '{:d}'),
    ('chunk->exec p50 s', ('latency', 'chunk_to_execution', 'p50'), '{:.3f}'),
)


def metrics_table(results: dict[str, dict]) -> str:
    """Markdown table, one row per strategy (units: the joints', per second for jerk)."""
    head = '| strategy | ' + ' | '.join(c[0] for c in TABLE_COLUMNS) + ' |'
    lines = [head, '|' + '---|' * (len(TABLE_COLUMNS) + 1)]
    for name, m in results.items():
        cells = []
        for _, path, fmt in TABLE_COLUMNS:
            value = m
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            ok = value is not None and (isinstance(value, int) or np.isfinite(value))
            cells.append(fmt.format(value) if ok else 'n/a')
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def evaluate_stream(stream: RecordedStream, strategies, config: ExecutorConfig | None = None,
                    action_vae=None) -> tuple[dict[str, dict], dict[str, Trace]]:
    """Every strategy over the stream, metrics with seam baselines over the ticks that are
    in-chunk for all of them (away from every strategy's hand-overs and the anchor's blend)."""
    cfg = config or ExecutorConfig(joint_names=stream.joint_names)
    traces = {name: replay(stream, name, cfg, action_vae) for name in strategies}
    quiet = common_quiet(list(traces.values()), cfg.control_period, cfg.boundary.blend_ticks)
    results = {name: trace_metrics(tr, stream, cfg.control_period, q)
               for (name, tr), q in zip(traces.items(), quiet, strict=True)}
    return results, traces


def common_quiet(traces: list[Trace], period: float, blend: int) -> list[np.ndarray]:
    """Per trace, its ticks that are in-chunk for every trace (:func:`quiet_ticks` over all
    their hand-overs on the shared tick grid)."""
    return shared_quiet_ticks([(tr.t, tr.spliced) for tr in traces], period, blend)


def write_outputs(out_dir: str | Path, stream: RecordedStream, results: dict[str, dict],
                  traces: dict[str, Trace], title: str = '') -> list[Path]:
    """metrics.md, metrics.json, executed_<strategy>.npz and the plots, written atomically."""
    import json

    from ..atomic import atomic_path, write_text
    from .plots import plot_overview, plot_seam_zoom

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    md = (f'# {title or "Chunk stream replay"}\n\n' + metrics_table(results) +
          '\nUnits: joint units (rad); jerk in units/s^3. Seam jerk: the largest jerk within 3 '
          'ticks of a hand-over; seam gap: |p_s - 2 p_(s-1) + p_(s-2)| at the hand-over (0 for '
          'steady motion); ratios over the same quantity on the ticks that are in-chunk for '
          'every strategy (away from all hand-overs and the anchor\'s blend); n/a: too few.\n')
    write_text(out / 'metrics.md', md)
    write_text(out / 'metrics.json', json.dumps(results, indent=2, sort_keys=True))
    written += [out / 'metrics.md', out / 'metrics.json']
    for name, tr in traces.items():
        path = out / f'executed_{name}.npz'
        with atomic_path(path) as tmp, open(tmp, 'wb') as f:
            np.savez(f, t=tr.t, positions=tr.positions,
                     joint_names=np.array(stream.joint_names))
        written.append(path)
    written.append(plot_overview(traces, stream, out / 'overview.png'))
    written.append(plot_seam_zoom(traces, stream, out / 'seam_zoom.png'))
    return written
