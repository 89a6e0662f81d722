"""``rtr demo``: artifacts, held-out recordings, closed-loop runs, open loop, report.

Stages, each timed and printed:

1. artifacts: the VAE and the policies (committed/cached when their config key matches,
   else demonstrations are recorded and everything is trained; see :mod:`.artifacts`);
2. held-out expert recordings (seeds no training episode uses) for the open-loop evaluation;
3. closed-loop episodes on the same held-out seeds for every configuration of
   ``config.runs``, each logged as a rosbag2 (``bags/<run>/write_<i>``);
4. open-loop evaluation of each policy on the held-out recordings;
5. the report: ``report.md``, ``summary.json``, ``summary.md`` and the PNGs, all written
   atomically into ``runs/<name>/``, the summary table printed at the end.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rtr_core.atomic import write_text
from rtr_core.threads import torch_threads

from . import report
from .artifacts import Artifacts, prepare, record, record_config
from .closed_loop import ClosedLoop
from .config import DemoConfig
from .metrics import (
    episode_metrics,
    episode_quiet,
    run_blend,
    summary_row,
    summary_table,
)

OPEN_LOOP_POLICIES = (('latent_60hz', 'none'), ('action_60hz', 'none'),
                      ('action_15hz', 'cubic'), ('action_15hz', 'linear'))


def _eval_seeds(config: DemoConfig) -> list[int]:
    from rtr_sim.recording import episode_seed

    return [episode_seed(config.data.eval_seed, i) for i in range(config.data.eval_episodes)]


def run_closed_loop(config: DemoConfig, artifacts: Artifacts, run_dir: Path,
                    log: Callable[[str], None] = print) -> tuple[dict, dict, dict]:
    """Every configuration on every held-out episode: (summary rows, per-episode metrics,
    the first episode's log per run, for the figures).

    Runs go to ``config.processes`` worker processes (each loads the same artifacts and
    simulates its own runs; results do not depend on it). Seam baselines need every run of
    an episode (the ticks in-chunk for all of them), so metrics are computed at the end."""
    seeds = _eval_seeds(config)
    logs: dict[str, list] = {}
    workers = min(config.processes, len(config.runs))
    if workers <= 1:
        with torch_threads(1):
            for run in config.runs:
                logs[run.name] = _run_episodes(config, run.name, run_dir, seeds, artifacts)
                log(f'  {run.name:18s} {len(seeds)} episodes done')
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context('spawn')
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = {pool.submit(_run_episodes, config, run.name, run_dir, seeds): run.name
                       for run in config.runs}
            for future in as_completed(futures):
                logs[futures[future]] = future.result()
                log(f'  {futures[future]:18s} {len(seeds)} episodes done')
        logs = {run.name: logs[run.name] for run in config.runs}
    period = float(np.median(np.diff(next(iter(logs.values()))[0].t)))
    blend = max(run_blend(run, config, period) for run in config.runs)
    per_run: dict[str, list[dict]] = {name: [] for name in logs}
    for i in range(len(seeds)):
        episode = [runs[i] for runs in logs.values()]
        for name, quiet in zip(logs, episode_quiet(episode, period, blend), strict=True):
            per_run[name].append(episode_metrics(logs[name][i], period, quiet))
    rows = {name: summary_row(metrics) for name, metrics in per_run.items()}
    for name, r in rows.items():
        log(f'  {name:18s} success {r["success_text"]}, deviation {r["deviation_mm"]:.2f} mm, '
            f'speed RMS {r["speed_rms"]:.0f} mm/s, seam jerk {r["seam_jerk"]:.0f} rad/s^3, '
            f'stall {r["stall_fraction"]:.3f}')
    first = {name: episodes[0] for name, episodes in logs.items()}
    return rows, per_run, first


def _run_episodes(config: DemoConfig, name: str, run_dir: Path, seeds: list[int],
                  artifacts: Artifacts | None = None) -> list:
    """The episodes of run ``name`` (in a worker process: the artifacts are loaded again,
    from the committed checkpoints or the run's cache that :func:`prepare` filled)."""
    from rtr_sim.runner import SimRunner

    from .artifacts import task_config

    if artifacts is None:
        artifacts = prepare(config, run_dir, log=lambda _: None)
    run = config.run(name)
    shutil.rmtree(run_dir / 'bags' / name, ignore_errors=True)  # a rerun
    with torch_threads(1), SimRunner(config.data.task, record_config(config, 0).runner,
                                      task_config(config)) as sim:
        loop = ClosedLoop(sim, artifacts.policies[run.policy], run, config, vae=artifacts.vae)
        return [loop.episode(seed, run_dir / 'bags' / name / f'{config.data.task}_{i:04d}')
                for i, seed in enumerate(seeds)]


def run_open_loop(config: DemoConfig, artifacts: Artifacts, bags: Path, out: Path) -> str:
    """Open-loop metrics of each policy on the held-out recordings; returns the table."""
    from rtr_core.evaluation.open_loop import (
        evaluate_open_loop,
        open_loop_table,
        write_open_loop,
    )
    from rtr_training.dataset import PolicyDataset

    from .closed_loop import with_interpolation

    results = {}
    datasets = {}
    for name, execution in OPEN_LOOP_POLICIES:
        if name not in artifacts.policies:
            continue
        policy = with_interpolation(artifacts.policies[name], execution)
        key = (policy.contract.hash, policy.config.horizon)
        if key not in datasets:
            datasets[key] = PolicyDataset.from_bags([bags], policy.contract,
                                                    policy.config.horizon, out / 'cache')
        label = name if execution == 'none' else f'{name}_{execution}'
        results[label] = evaluate_open_loop(policy, datasets[key], config.open_loop_stride,
                                            config.seed)
    write_open_loop(out, results, 'Open-loop evaluation on held-out expert recordings')
    return open_loop_table({k: r.metrics for k, r in results.items()})


def run_demo(config: DemoConfig, retrain: bool = False, save_checkpoints: bool = False,
             log: Callable[[str], None] = print) -> Path:
    """The whole demo; returns the run folder (``runs/<name>``)."""
    t_start = time.perf_counter()
    run_dir = Path(config.runs_dir) / config.name
    run_dir.mkdir(parents=True, exist_ok=True)
    timings = {}

    log('[1/5] artifacts (VAE and policies)')
    t0 = time.perf_counter()
    artifacts = prepare(config, run_dir, retrain, save_checkpoints, log)
    timings['artifacts'] = time.perf_counter() - t0
    for name, origin in artifacts.origin.items():
        log(f'  {name:12s} {origin:9s} {artifacts.paths[name]}')

    log('[2/5] held-out expert recordings')
    t0 = time.perf_counter()
    eval_bags = run_dir / 'data' / 'eval'
    record(config, eval_bags, config.data.eval_episodes, config.data.eval_seed, log)
    timings['recordings'] = time.perf_counter() - t0

    log(f'[3/5] closed loop: {len(config.runs)} configurations x '
        f'{config.data.eval_episodes} held-out episodes')
    t0 = time.perf_counter()
    rows, per_run, first = run_closed_loop(config, artifacts, run_dir, log)
    timings['closed_loop'] = time.perf_counter() - t0

    log('[4/5] open-loop evaluation')
    t0 = time.perf_counter()
    open_loop = run_open_loop(config, artifacts, eval_bags, run_dir / 'open_loop')
    timings['open_loop'] = time.perf_counter() - t0

    log('[5/5] report')
    t0 = time.perf_counter()
    async_runs = [r.name for r in config.runs if r.asynchronous]
    checks = report.check_targets(rows, async_runs, per_run)
    text = report.paragraph(rows, checks, async_runs)
    figures = {
        'Commanded tool-tip speed over time (forward kinematics of the executor\'s command; '
        'grey: the expert\'s plan; red lines: chunk hand-overs). Stop-and-go shows as the '
        'speed dropping to zero, seams as spikes.':
            report.plot_speed(first, run_dir / 'speed.png').name,
        'Commanded velocity of the most moving joint around a mid-episode hand-over.':
            report.plot_seams(first, run_dir / 'seams.png').name,
        'Traced shapes: ink (blue) over the shape to write (grey), first held-out episode.':
            report.plot_traced(first, run_dir / 'traced.png').name,
    }
    key = [n for n in ('15hz_stop_and_go', 'latent_60hz', 'naive', 'anchor', 'rtr')
           if n in first]
    if key:
        mid = 0.5 * first[key[0]].duration
        figures['The same, over 3 s: 15 Hz stop-and-go, latent 60 Hz executed '
                'synchronously (it waits for every chunk), and the same latent policy under '
                'asynchronous inference with naive switching, the hand-over anchor alone and '
                'rtr.'] = report.plot_speed(
            {n: first[n] for n in key}, run_dir / 'overview.png', (mid - 1.5, mid + 1.5)).name
    timings['report'] = time.perf_counter() - t0
    timings['total'] = time.perf_counter() - t_start
    notes = _notes(config, artifacts, timings)
    md = report.report_markdown(f'rtr demo: {config.name}', rows, checks, text, figures, notes,
                                open_loop=open_loop, paired=report.paired_table(per_run))
    write_text(run_dir / 'report.md', md)
    write_text(run_dir / 'summary.md', summary_table(rows))
    write_text(run_dir / 'summary.json', json.dumps(
        {'rows': rows, 'targets': [{'target': c[0], 'met': c[1], 'numbers': c[2]}
                                   for c in checks],
         'per_episode': per_run, 'timings_s': timings, 'origin': artifacts.origin},
        indent=2, sort_keys=True, default=_json))
    log('')
    log(summary_table(rows))
    log(report.paired_table(per_run))
    for name, met, numbers in checks:
        log(f'{ {True: "met", False: "NOT MET", None: "n/a"}[met]:8s} {name}: {numbers}')
    log(f'\nwrote {run_dir / "report.md"} ({timings["total"]:.0f} s)')
    return run_dir


def _notes(config: DemoConfig, artifacts: Artifacts, timings: dict) -> list[str]:
    d, lat = config.data, config.latency
    origin = ', '.join(f'{k}: {v}' for k, v in artifacts.origin.items())
    train = ', '.join(f'{k} {v:.0f} s' for k, v in artifacts.train_seconds.items())
    return [
        f'Task `{d.task}`, shapes {", ".join(d.shapes)} (offset +-{d.offset * 1e3:.0f} mm, '
        f'rotation +-{d.rotation:.0f} deg); policies trained on {d.train_episodes} expert '
        f'episodes (seed {d.seed}); evaluated on {d.eval_episodes} held-out episodes (seed '
        f'{d.eval_seed}: other human demonstrations of the shapes, other speeds).',
        f'Asynchronous runs: trigger at {config.trigger_threshold} planned actions left, '
        f'observation-to-chunk latency uniform in [{lat.low:.2f}, {lat.high:.2f}] s per chunk '
        f'(simulated time; the policy\'s own compute time on this machine is the "inference '
        f'ms" column). Sync runs wait for the chunk to finish, then for the same latency.',
        f'Executor: the deployed configuration (rtr_bringup/config/rtr_nodes.yaml: the arm\'s '
        f'limits, 60 Hz, {config.window_duration:.2f} s JTC windows) with each run\'s strategy.',
        f'Artifacts: {origin}' + (f'; trained here: {train}' if train else '') + '.',
        'Stage times: ' + ', '.join(f'{k} {v:.0f} s' for k, v in timings.items()) + '.',
        f'Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python '
        f'{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end.',
    ]


def _json(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f'not JSON serialisable: {type(value).__name__}')
