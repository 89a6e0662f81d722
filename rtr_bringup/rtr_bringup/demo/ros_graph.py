"""``rtr demo --ros``, the part without ROS: scoring graph episodes like the in-process run.

Every held-out episode is one closed loop of three processes from their console scripts (the
simulated robot, the chunk executor, the policy node), started by :mod:`.ros_run` through
:mod:`rtr_ros.graph_run` and discovered on localhost in a ROS domain of this run's own. The
observer there keeps every ``ExecutorState`` (the command of each tick) and every
``ActionChunk``; the robot writes its per-tick trace and score. From them this module
builds the same :class:`EpisodeLog` the in-process demo builds, so both are scored by the
same functions (:func:`.metrics.episode_metrics`): the only differences are real time, DDS,
separate processes, and the latency (the machine's own, not the demo's latency model).

Ticks the executor skipped (a late loop) or whose state the observer did not receive are
filled by linear interpolation over the tick index and counted (``missing ticks``); where the
simulated robot fell behind the wall clock it dropped the backlog (``lag dropped``), and its
stamps are mapped back to simulated time piecewise (``stamp_origins`` of its result).
"""

from __future__ import annotations

import numpy as np

from rtr_core.errors import RtrError
from rtr_core.executor.state import MODE_HOLDING

from .closed_loop import EpisodeLog
from .config import DemoConfig, RunConfig
from .metrics import summary_row, summary_table
from .report import episode_values, paired_table


def to_sim_time(stamps: np.ndarray, origins: list) -> np.ndarray:
    """Node-clock stamps as the robot's simulated time: ``stamp = origin + simulated time``,
    with the origin of each ``(simulated time, origin)`` pair from the stamp it starts at
    (the robot moves its origin forward where it drops a backlog)."""
    stamps = np.asarray(stamps, float)
    out = stamps - origins[0][1]
    for tau, origin in origins[1:]:
        after = stamps >= origin + tau
        out[after] = stamps[after] - origin
    return out


def episode_log(graph, run: RunConfig, seed: int, sim, period: float) -> tuple[EpisodeLog, dict]:
    """The :class:`EpisodeLog` of one graph episode (``graph``: a GraphResult) and what only a
    real-time run has (missing ticks, lag dropped, windows/s, tick lateness).

    ``sim`` is an rtr_sim SimRunner of the same task: it rebuilds the episode of ``seed``
    (the shape, the expert's plan) and the arm's kinematics."""
    from rtr_sim.experts import ScriptedExpert
    from rtr_sim.tasks.base import EpisodeTrace

    robot, ticks, chunks = graph.robot, graph.ticks, graph.chunks
    trace = EpisodeTrace.load(robot['trace_file'])  # the robot's, per tick, simulated time
    sim.reset(seed)
    episode = sim.episode
    expert = ScriptedExpert(sim.kinematics, episode, sim.config.control_rate)
    origins = robot['stamp_origins']
    if ticks['tick'].size < 2:
        raise RtrError(f'rtr demo --ros: episode {seed}: the observer received '
                       f'{ticks["tick"].size} executor states; see the logs {graph.logs}')
    order = np.argsort(ticks['tick'], kind='stable')
    tick, keep = np.unique(ticks['tick'][order], return_index=True)
    rows = {name: values[order][keep] for name, values in ticks.items()}
    grid = np.arange(tick[0], tick[-1] + 1)
    missing = int(grid.size - tick.size)
    t_all = to_sim_time(rows['stamp'][0] + (grid - tick[0]) * period, origins)
    end = float(trace.times[-1]) if trace.times.size else episode.duration
    inside = (t_all >= 0.0) & (t_all <= end + 1e-9)
    grid, t = grid[inside], t_all[inside]
    if grid.size < 2:
        raise RtrError(f'rtr demo --ros: episode {seed}: no executor tick within the '
                       f'episode (0-{end:.1f} s of simulated time)')

    def interpolated(values):  # (N, J) at the recorded ticks -> (T, J) on the grid
        return np.stack([np.interp(grid, tick, v) for v in np.asarray(values).T], axis=1)

    def held(values):  # the last recorded value at or before each grid tick
        idx = np.clip(np.searchsorted(tick, grid, side='right') - 1, 0, tick.size - 1)
        return np.asarray(values)[idx]

    command = interpolated(rows['position'])
    chunk_of_tick = held(rows['chunk_id'])
    mode = held(rows['mode'])
    spliced = np.r_[False, (np.diff(chunk_of_tick) != 0)] & (chunk_of_tick != 0)
    clamped_count = held(rows['clamped_ticks'])
    clamped = np.r_[False, np.diff(clamped_count) > 0]

    def measured(name):
        v = np.asarray(getattr(trace, name), float)
        v2 = v.reshape(len(v), -1)
        out = np.stack([np.interp(t, trace.times, c) for c in v2.T], axis=1)
        return out if v.ndim > 1 else out[:, 0]

    plan = expert.positions
    k = np.clip(np.round(t / period).astype(int), 0, len(plan) - 1)
    chunk_ids = np.asarray(chunks['chunk_id'], int)
    starts = {}
    for cid, ts in zip(chunk_of_tick[spliced], t[spliced], strict=True):
        starts.setdefault(int(cid), float(ts))
    log = EpisodeLog(
        run=run.name, seed=seed, params=dict(episode.params), success=bool(robot['success']),
        task_metrics=dict(robot['task_metrics']), t=t, command=command,
        command_tip=sim.kinematics.tip_positions(command),
        command_velocity=interpolated(rows['velocity']), mode=mode, spliced=spliced,
        clamped=clamped, measured=measured('position'), tip=measured('tip'),
        contact_force=measured('contact_force'), expert=plan[k],
        expert_tip=sim.kinematics.tip_positions(plan[k]),
        reference=np.asarray(episode.reference), duration=episode.duration,
        chunk_stamps=to_sim_time(chunks['stamp'], origins),
        chunk_arrivals=to_sim_time(chunks['arrival'], origins),
        chunk_starts=np.array([starts.get(int(c), np.nan) for c in chunk_ids]),
        inference_seconds=np.asarray(chunks['inference_duration'], float),
        rejected=int(graph.states[-1][2]) if graph.states else 0,
        tick_chunk=chunk_of_tick, chunk_ids=chunk_ids,
        chunk_ends=to_sim_time(chunks['end'], origins))
    executor = graph.diagnostics.get('rtr_chunk_executor', {})
    started = np.isfinite(log.chunk_starts)
    extra = {
        'missing_ticks': missing, 'ticks': int(grid.size),
        'lag_dropped_s': float(robot.get('lag_dropped_s', 0.0)),
        'windows_per_s': float(robot['windows']['per_second']),
        'windows_rejected': int(robot['windows']['rejected']),
        'holding_fraction': float(np.mean(mode == MODE_HOLDING)),
        'tick_lateness_ms': {q: float(executor.get(f'tick_lateness_{q}_ms', 'nan'))
                             for q in ('p50', 'p99', 'max')},
        'missed_ticks': int(float(executor.get('missed_ticks', 0))),
        'late_merges': int(float(executor.get('late_merges', 0))),
        'worst_tick': executor.get('tick_lateness_worst', ''),
        # observation stamp -> the first tick that commands the robot from that chunk
        'observation_to_robot_s': (log.chunk_starts[started]
                                   - log.chunk_stamps[started]).tolist(),
        'chunk_latency_s': graph.chunk_latency.tolist(),
        'exit_codes': dict(graph.exit_codes), 'aborted': list(graph.aborted),
    }
    return log, extra


def mean_metrics(draws: list[dict]) -> dict:
    """The episode metrics of several draws of one episode, every number their mean (NaN
    where no draw has a finite value; a success is the fraction of draws that succeeded)."""
    first = draws[0]
    if isinstance(first, dict):
        return {k: mean_metrics([d[k] for d in draws]) for k in first
                if all(isinstance(d, dict) and k in d for d in draws)}
    if isinstance(first, (bool, int, float, np.integer, np.floating)):
        values = np.asarray(draws, float)
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if finite.size else float('nan')
    return first


def draw_spread(in_process: list[list[dict]], path=('task', 'deviation_mean_mm'),
                scale: float = 1.0) -> float:
    """The standard deviation of one metric between draws of the same episode, pooled over the
    episodes (NaN with a single draw): how far one draw alone may fall from the mean."""
    variances = []
    for draws in in_process:
        values = np.asarray(episode_values({'d': draws}, 'd', path, scale), float)
        values = values[np.isfinite(values)]
        if values.size > 1:
            variances.append(values.var(ddof=1))
    return float(np.sqrt(np.mean(variances))) if variances else float('nan')


def report(run: RunConfig, config: DemoConfig, in_process: list[list[dict]],
           over_ros: list[dict], extras: list[dict], threaded: list[dict] | None = None,
           threaded_stats: list[dict] | None = None) -> str:
    """Markdown: the run over ROS 2 beside the same episodes in process (``in_process``: per
    episode, the metrics of each draw of the sampling noise) and in process on the wall clock
    (``threaded``, one draw per episode, with its loop statistics ``threaded_stats``), the
    paired differences per metric, then what only a real-time graph has."""
    late = {q: float(np.nanmax([e['tick_lateness_ms'][q] for e in extras]))
            for q in ('p50', 'p99', 'max')}
    latency = np.concatenate([e['chunk_latency_s'] for e in extras]) * 1e3
    to_robot = np.concatenate([e['observation_to_robot_s'] for e in extras]) * 1e3

    def pct(a, q):
        return f'{np.percentile(a, q):.0f}' if a.size else 'n/a'

    lat = config.latency
    draws = len(in_process[0]) if in_process else 0
    local = f'{run.name} in process'
    ros = f'{run.name} over ROS 2'
    rows = ['| episode | windows/s at the robot | windows refused | missing ticks | '
            'lag dropped s | holding | late merges | tick lateness p50 / p99 / max ms | '
            'exit codes |', '|---|---|---|---|---|---|---|---|---|']
    for i, e in enumerate(extras):
        tl = e['tick_lateness_ms']
        rows.append(f'| {i} | {e["windows_per_s"]:.1f} | {e["windows_rejected"]} | '
                    f'{e["missing_ticks"]} of {e["ticks"]} | {e["lag_dropped_s"]:.2f} | '
                    f'{e["holding_fraction"]:.3f} | {e["late_merges"]} | '
                    f'{tl["p50"]:.2f} / {tl["p99"]:.1f} / '
                    f'{tl["max"]:.1f} | {", ".join(map(str, e["exit_codes"].values()))} |')
    wall = f'{run.name} in process, real time'
    per_episode = {ros: over_ros, local: [mean_metrics(d) for d in in_process]}
    rows_summary = {f'{local} ({draws} draws per episode)':
                    summary_row([m for d in in_process for m in d])}
    threaded_text = ''
    if threaded:
        per_episode[wall] = threaded
        rows_summary[wall] = summary_row(threaded)
        wl = {q: float(np.nanmax([s['tick_lateness_ms'][q] for s in threaded_stats or []]
                                 or [np.nan])) for q in ('p50', 'p99', 'max')}
        threaded_text = (
            f' In process, real time: the same process and latency model, but the simulator '
            'on the wall clock, the 60 Hz executor loop and the inference worker on threads '
            f'(`rtr demo --real-time`), one draw per episode; its tick lateness p50 '
            f'{wl["p50"]:.2f} / p99 {wl["p99"]:.2f} / max {wl["max"]:.2f} ms, '
            f'{sum(s["late_merges"] for s in threaded_stats or [])} chunks merged '
            'after their splice tick (over ROS 2: the late merges column). It separates '
            'what running in real time does from what the ROS 2 graph adds.')
    rows_summary[ros] = summary_row(over_ros)
    paired = paired_table(per_episode, pairs=((ros, local), (wall, local), (ros, wall)))
    spread = (f'deviation {draw_spread(in_process):.2f} mm, joint deviation '
              f'{draw_spread(in_process, ("deviation", "mean"), 1e3):.1f} mrad, seam jerk '
              f'{draw_spread(in_process, ("seam", "jerk_mean")):.1f} rad/s^3')
    return (
        f'# rtr demo --ros: {run.name} over ROS 2\n\n'
        f'{len(extras)} held-out episodes of `{run.name}` (policy {run.policy}, strategy '
        f'{run.strategy}), scored by the same functions both ways. In process: simulated '
        f'time, chunks delivered {lat.low:.2f}-{lat.high:.2f} s after their observation (the '
        f'demo\'s latency model), {draws} draws of the policy\'s sampling noise per episode '
        '(the row: all draws). Over ROS 2: the simulated robot, the chunk executor and the '
        'policy node as three processes over DDS (localhost), real time, the machine\'s own '
        f'latency, one draw per episode.{threaded_text}\n\n'
        + summary_table(rows_summary)
        + f'\nPer episode, paired differences (against in process: the mean of its draws; '
          f'mean over the episodes, paired 95% bootstrap interval; lower is better):\n\n'
          f'{paired}\n'
          f'One draw differs from another of the same episode by (SD, in process) {spread}: '
          'a single episode or two cannot tell the graph from the sampling noise.\n\n'
          f'Over ROS 2: chunk latency (observation stamp to arrival at an observer node) '
          f'p50 {pct(latency, 50)} ms, p95 {pct(latency, 95)} ms; observation to the first '
          f'tick commanding the robot from that chunk p50 {pct(to_robot, 50)} ms, p95 '
          f'{pct(to_robot, 95)} ms; executor tick lateness (its 60 Hz loop) p50 '
          f'{late["p50"]:.2f} ms, p99 {late["p99"]:.2f} ms, max {late["max"]:.2f} ms (worst '
          'episode).\n\n' + '\n'.join(rows) + '\n')


__all__ = ['draw_spread', 'episode_log', 'mean_metrics', 'report', 'to_sim_time']
