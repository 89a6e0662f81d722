"""``rtr demo --real-time``: one configuration with real threads on the wall clock.

Three threads, as on a robot: the simulator paces its physics against the wall clock and
publishes observations (main thread); the 60 Hz executor loop (:class:`PeriodicLoop`,
absolute deadlines) ticks the :class:`ChunkExecutor` at the measured time and streams its JTC
window to the simulated controller; the :class:`InferenceWorker` runs the policy when the
executor's state asks for a chunk, and the chunk reaches the executor after the demo's latency
model (the policy's own compute time included). Tick lateness is what this mode measures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rtr_core.atomic import write_text
from rtr_core.inference import InferenceWorker, LatestInputs
from rtr_core.realtime import PeriodicLoop, RealtimeConfig, prepare_process

from .artifacts import prepare, record_config, task_config
from .closed_loop import ClosedLoop, EpisodeLog, LatencyModel
from .config import DemoConfig
from .episode_bag import EpisodeBag
from .metrics import episode_metrics, run_blend, summary_row, summary_table


def real_time_episode(loop: ClosedLoop, seed: int, bag_path: Path | None = None
                      ) -> tuple[EpisodeLog, dict]:
    """One episode on the wall clock; returns its log and the loop/inference statistics."""
    from rtr_sim.experts import ScriptedExpert

    sim, ex, config = loop.sim, loop.executor, loop.config
    obs = sim.reset(seed)
    t0 = time.perf_counter()

    def clock() -> float:
        return time.perf_counter() - t0

    episode = sim.episode
    expert = ScriptedExpert(sim.kinematics, episode, sim.config.control_rate)
    latency = LatencyModel(config.latency, seed)
    ex.reset()
    ex.start(obs.position, obs.stamp)
    names = sim.arm.joint_names
    inputs = LatestInputs(names, loop.policy.contract.inputs)
    rows, chunks, compute = [], [], []
    lock = threading.Lock()
    bag = EpisodeBag(bag_path, names, sim.camera_intrinsics) if bag_path else None

    def feed(o) -> None:
        inputs.put_joint_state(o.stamp, names, o.position)
        inputs.put_wrench(o.stamp, o.wrench)
        if o.image is not None:
            inputs.put_image(o.stamp, o.image)
        if bag is not None:
            bag.observation(o)

    def deliver(chunk) -> None:
        arrival = clock()
        ex.receive(chunk, arrival)
        with lock:
            chunks.append((arrival, chunk))
        if bag is not None:
            bag.chunk(chunk, arrival)

    def publish(chunk) -> None:
        compute.append(chunk.inference_duration)
        if loop.run.execution == 'hold':
            from .closed_loop import hold_chunk

            chunk = hold_chunk(chunk, loop.period)
        wait = latency.sample() - (clock() - chunk.stamp)
        threading.Timer(max(0.0, wait), deliver, (chunk,)).start()

    def predict(observation, rtc):
        return loop.policy.predict(observation, rtc if loop.run.rtc else None)

    worker = InferenceWorker(predict, inputs, publish, clock, rtc=loop.run.rtc)

    def tick() -> None:
        now = clock()
        r = ex.tick(now)
        if r.window is not None:
            sim.send_trajectory(r.window)
            if bag is not None:
                bag.window(r.window, now)
        state = ex.state()
        worker.on_executor_state(state)
        if bag is not None:
            bag.state(state, now)
        with lock:
            rows.append(r)

    ticker = PeriodicLoop(loop.period, tick, name='rtr-demo-executor', clock=clock, align=clock)
    end = episode.duration + config.extra_time
    with bag if bag is not None else contextlib.nullcontext():
        feed(obs)
        worker.start()
        ticker.start()
        try:
            while sim.time < end - 1e-9 and ticker.error is None:
                feed(sim.step_tick())
        finally:
            ticker.stop()
            worker.stop()
        if ticker.error is not None:
            raise ticker.error
        time.sleep(0.3)  # let a chunk still on its way land before the counters are read
        result = sim.evaluate()
        trace = sim.trace()
        rows = _one_per_tick(rows)
        log = loop.episode_log(seed, episode, expert, result, trace, rows, sorted(
            chunks, key=lambda c: c[0]), compute, ex.rejections())
        if bag is not None:
            log.bag = str(bag.path)
            bag.metadata({'run': loop.run.name, 'seed': seed, 'real_time': True,
                          'success': log.success, 'task_metrics': log.task_metrics})
    lateness = ticker.stats()
    stats = {'tick_lateness_ms': {'p50': lateness.p50_ms, 'p99': lateness.p99_ms,
                                  'max': lateness.max_ms},
             'ticks': lateness.ticks, 'overruns': lateness.overruns,
             'worst_tick': '' if lateness.worst is None else str(lateness.worst),
             # merges that finished after their splice tick ran (real time only)
             'late_merges': int(ex.state().late_merges),
             'inference': worker.stats().__dict__}
    return log, stats


def _one_per_tick(rows: list) -> list:
    """Tick results in tick order, one per tick (a late loop may skip ticks, never repeat)."""
    seen, out = set(), []
    for r in rows:
        if r.tick not in seen and r.position is not None:
            seen.add(r.tick)
            out.append(r)
    return sorted(out, key=lambda r: r.tick)


def run_real_time(config: DemoConfig, retrain: bool = False, save_checkpoints: bool = False,
                  log: Callable[[str], None] = print) -> Path:
    """Artifacts, then ``config.real_time.episodes`` wall-clock episodes of one run; writes
    ``runs/<name>/real_time.md`` and ``real_time.json``."""
    import json

    import torch

    from rtr_sim.recording import episode_seed
    from rtr_sim.runner import SimRunner

    run_dir = Path(config.runs_dir) / config.name
    artifacts = prepare(config, run_dir, retrain, save_checkpoints, log)
    run = config.run(config.real_time.run)
    torch.set_num_threads(1)
    runner = dataclasses.replace(record_config(config, 0).runner, realtime=True)
    for done in prepare_process(RealtimeConfig()):  # as the executor node does
        log(f'real-time loop: {done}')
    metrics, stats = [], []
    with SimRunner(config.data.task, runner, task_config(config)) as sim:
        loop = ClosedLoop(sim, artifacts.policies[run.policy], run, config, vae=artifacts.vae)
        for i in range(config.real_time.episodes):
            seed = episode_seed(config.data.eval_seed, i)
            bag = run_dir / 'bags' / f'real_time_{run.name}' / f'{config.data.task}_{i:04d}'
            shutil.rmtree(bag, ignore_errors=True)  # a rerun replaces its bags
            log(f'real time: {run.name}, held-out episode {i} (wall clock)')
            episode, s = real_time_episode(loop, seed, bag)
            metrics.append(episode_metrics(episode, loop.period,
                                           blend=run_blend(run, config, loop.period)))
            stats.append(s)
    row = summary_row(metrics)
    late = {k: float(np.max([s['tick_lateness_ms'][k] for s in stats]))
            for k in ('p50', 'p99', 'max')}
    overruns = int(sum(s['overruns'] for s in stats))
    text = (summary_table({f'{run.name} (real time)': row}) +
            f'\nExecutor tick lateness (60 Hz loop thread, wall clock): p50 {late["p50"]:.2f} ms,'
            f' p99 {late["p99"]:.2f} ms, max {late["max"]:.2f} ms, {overruns} overrun ticks '
            f'over {sum(s["ticks"] for s in stats)} ticks; '
            f'{sum(s["late_merges"] for s in stats)} chunks merged after their splice tick; '
            f'policy compute p50 '
            f'{row["inference_ms"]:.0f} ms in its worker thread.\n')
    write_text(run_dir / 'real_time.md', '# rtr demo --real-time\n\n' + text)
    write_text(run_dir / 'real_time.json', json.dumps(
        {'row': row, 'stats': stats}, indent=2, sort_keys=True, default=str))
    log(text)
    return run_dir
