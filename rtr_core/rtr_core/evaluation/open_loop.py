"""Open-loop evaluation: predict chunks on recorded observations, compare with what was
recorded (method.md section 6, the seed's deviation-vs-jerk figure).

Every ``stride`` ticks of each recording the policy plans a chunk from the recorded
observation; the chunk is placed on the control-tick grid exactly as the executor places it
(:func:`~rtr_core.timeline.chunk_to_plan`, so a 15 Hz chunk is judged as executed)
and compared with the recorded actions at the same ticks. Reported, in joint units: the
deviation, the jerk inside chunks, and between consecutive chunks the mean difference over
their overlap and the jump a switch to the newer chunk would make.

The recordings come in as any object with the :class:`rtr_training.dataset.PolicyDataset`
interface (``episodes``, ``episode_of``, ``stamps``, ``observation(i)``), so this module does
not depend on the training package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import write_text
from ..metrics import jerk
from ..timeline import Plan, chunk_to_plan, tick_of

COLUMNS = (
    ('chunks', ('chunks',), '{:d}'),
    ('deviation mean', ('deviation', 'mean'), '{:.4f}'),
    ('deviation p95', ('deviation', 'p95'), '{:.4f}'),
    ('in-chunk jerk mean', ('jerk', 'mean'), '{:.1f}'),
    ('in-chunk jerk p95', ('jerk', 'p95'), '{:.1f}'),
    ('overlap diff mean', ('overlap', 'mean'), '{:.4f}'),
    ('switch jump mean', ('switch', 'mean'), '{:.4f}'),
    ('inference ms p50', ('inference_ms',), '{:.1f}'),
)


@dataclass
class OpenLoopResult:
    """Per-policy metrics plus, for plots, the plans of the first recording."""

    metrics: dict
    plans: list[Plan]
    recorded_ticks: np.ndarray
    recorded: np.ndarray


def _stats(values: list[float]) -> dict[str, float]:
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return {'mean': float('nan'), 'p95': float('nan'), 'max': float('nan')}
    return {'mean': float(x.mean()), 'p95': float(np.percentile(x, 95)), 'max': float(x.max())}


class OpenLoopScorer:
    """Scores chunks against recorded actions, one recording at a time.

    Used by :func:`evaluate_open_loop` (chunks predicted here) and by the ROS open-loop
    evaluator (chunks from the policy node during ``ros2 bag play``). Chunk columns and
    recorded actions are matched to ``joint_names`` by name.
    """

    def __init__(self, joint_names, period: float):
        self.joint_names = tuple(joint_names)
        self.period = period
        self._errors, self._jerks, self._overlaps, self._switches = [], [], [], []
        self._compute: list[float] = []
        self._previous: Plan | None = None
        self._ticks = self._actions = None
        self._recordings = 0
        self._first = ([], np.zeros(0, dtype=np.int64), np.zeros((0, len(self.joint_names))))

    def recording(self, times, actions) -> None:
        """Start a recording: actions (T, J) in ``joint_names`` order at ``times`` (s)."""
        self._ticks = np.array([tick_of(t, self.period) for t in times])
        self._actions = np.asarray(actions, dtype=np.float64)
        self._previous = None
        self._recordings += 1
        if self._recordings == 1:  # plots show the first recording
            self._first = ([], self._ticks, self._actions)

    def add(self, chunk) -> None:
        order = np.array([chunk.joint_names.index(n) for n in self.joint_names])
        self._compute.append(chunk.inference_duration)
        plan = chunk_to_plan(chunk, order, self.period)
        span = np.arange(plan.first_tick, plan.last_tick + 1)
        rows = np.searchsorted(self._ticks, span)
        ok = rows < self._ticks.size
        ok[ok] &= self._ticks[rows[ok]] == span[ok]
        if ok.any():
            self._errors.extend(np.abs(plan.positions[ok] - self._actions[rows[ok]]).mean(axis=1))
        if plan.positions.shape[0] >= 4:
            self._jerks.extend(np.linalg.norm(jerk(plan.positions, self.period), axis=1))
        if self._previous is not None:
            _, old = self._previous.window(plan.first_tick, plan.last_tick)
            if old.shape[0]:
                self._overlaps.append(float(np.abs(old - plan.positions[:old.shape[0]]).mean()))
                self._switches.append(float(np.linalg.norm(old[0] - plan.positions[0])))
        self._previous = plan
        if self._recordings == 1:
            self._first[0].append(plan)

    def result(self) -> OpenLoopResult:
        compute = self._compute
        metrics = {
            'chunks': len(compute), 'deviation': _stats(self._errors),
            'jerk': _stats(self._jerks), 'overlap': _stats(self._overlaps),
            'switch': _stats(self._switches),
            'inference_ms': float(np.median(compute) * 1e3) if compute else float('nan'),
        }
        return OpenLoopResult(metrics, *self._first)


def evaluate_open_loop(policy, dataset, stride: int = 24, seed: int = 0) -> OpenLoopResult:
    """Metrics of ``policy`` on every recording of ``dataset`` (one chunk every ``stride``)."""
    if stride < 1:
        raise ValueError(f'open-loop stride={stride}: expected at least 1 tick')
    scorer = OpenLoopScorer(policy.joint_names, policy.contract.control_dt)
    for e, ep in enumerate(dataset.episodes):
        scorer.recording(ep.times, ep.actions)
        for n, i in enumerate(np.flatnonzero(dataset.episode_of == e)[::stride]):
            scorer.add(policy.predict(dataset.observation(int(i)), seed=seed + 7919 * e + n))
    return scorer.result()


def open_loop_table(results: dict[str, dict]) -> str:
    """Markdown table, one row per policy (joint units; jerk in units/s^3)."""
    lines = ['| policy | ' + ' | '.join(c[0] for c in COLUMNS) + ' |',
             '|' + '---|' * (len(COLUMNS) + 1)]
    for name, m in results.items():
        cells = []
        for _, path, fmt in COLUMNS:
            v = m
            for key in path:
                v = v.get(key) if isinstance(v, dict) else None
            ok = v is not None and (isinstance(v, int) or np.isfinite(v))
            cells.append(fmt.format(v) if ok else 'n/a')
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def plot_open_loop(results: dict[str, OpenLoopResult], path: str | Path,
                   joint: int | None = None) -> Path:
    """Predicted chunks (colours alternate) over the recorded actions, one panel per policy."""
    from .plots import _pyplot, _save

    plt = _pyplot()
    n = len(results)
    fig, axes = plt.subplots(n, 1, figsize=(9, 2.0 * n + 0.5), sharex=True, squeeze=False)
    for ax, (name, res) in zip(axes[:, 0], results.items(), strict=True):
        j = int(np.argmax(np.ptp(res.recorded, axis=0))) if joint is None else joint
        ax.plot(res.recorded_ticks, res.recorded[:, j], color='0.6', lw=2, label='recorded')
        for c, plan in enumerate(res.plans):
            ticks = np.arange(plan.first_tick, plan.last_tick + 1)
            ax.plot(ticks, plan.positions[:, j], lw=1,
                    color='tab:blue' if c % 2 == 0 else 'tab:orange')
        ax.set_ylabel(f'{name}\njoint_{j + 1}', fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(loc='best', fontsize=7)
    axes[-1, 0].set_xlabel('control tick')
    fig.suptitle('open loop: predicted chunks (alternating colours) over the recorded actions',
                 fontsize=9)
    fig.tight_layout()
    return _save(fig, path, plt)


def write_open_loop(out_dir: str | Path, results: dict[str, OpenLoopResult],
                    title: str = 'Open-loop evaluation') -> list[Path]:
    """metrics.md, metrics.json and open_loop.png, written atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics = {name: r.metrics for name, r in results.items()}
    md = (f'# {title}\n\n' + open_loop_table(metrics) +
          '\nUnits: joint units (rad); jerk in units/s^3 inside each chunk as executed on the '
          '60 Hz grid; overlap diff = mean |old - new| where consecutive chunks cover the same '
          'ticks; switch jump = |new - old| at the first tick of the newer chunk.\n')
    write_text(out / 'metrics.md', md)
    write_text(out / 'metrics.json', json.dumps(metrics, indent=2, sort_keys=True))
    return [out / 'metrics.md', out / 'metrics.json',
            plot_open_loop(results, out / 'open_loop.png')]
