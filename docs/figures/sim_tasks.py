"""Make docs/figures/sim_tasks.png: a camera frame of each task and the expert's traced path.

    .venv/bin/python docs/figures/sim_tasks.py
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault('MUJOCO_GL', 'egl')

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rtr_core.atomic import atomic_path  # noqa: E402
from rtr_sim.experts import ScriptedExpert  # noqa: E402
from rtr_sim.runner import SimRunner  # noqa: E402
from rtr_sim.tasks import WriteConfig  # noqa: E402


def run(task, seed, task_config=None, frame_at=0.7):
    with SimRunner(task, task_config=task_config) as runner:
        runner.reset(seed=seed)
        expert = ScriptedExpert(runner.kinematics, runner.episode)
        frame = None
        for k in range(expert.ticks):
            runner.send_trajectory(expert.window(k))
            obs = runner.step_tick()
            if obs.image is not None and (frame is None or k < frame_at * expert.ticks):
                frame = obs.image
        return runner.episode, runner.trace(), runner.evaluate(), frame


def main() -> None:
    write = run('write', 2, WriteConfig(shapes=('GShape',)))
    wipe = run('wipe', 1)
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    for row, (name, (episode, trace, result, frame)) in enumerate([('write', write),
                                                                   ('wipe', wipe)]):
        axes[row, 0].imshow(frame, interpolation='nearest')
        axes[row, 0].set_title(f'{name}: camera (96x96)')
        axes[row, 0].axis('off')
        ax = axes[row, 1]
        ref = episode.reference[:, :2] * 1000
        touching = trace.contact_force > 0.1
        ax.plot(ref[:, 1], ref[:, 0], color='0.7', lw=5, label='reference')
        ax.plot(trace.tip[touching, 1] * 1000, trace.tip[touching, 0] * 1000, 'C3.', ms=2,
                label='expert tip in contact')
        if name == 'wipe':
            lo, hi = np.array(episode.params['region_lo']), np.array(episode.params['region_hi'])
            ax.add_patch(plt.Rectangle((lo[1] * 1000, lo[0] * 1000), (hi - lo)[1] * 1000,
                                       (hi - lo)[0] * 1000, fill=False, ls='--',
                                       label='dirty region'))
        ax.set_aspect('equal')
        ax.invert_xaxis()
        ax.set_xlabel('y (mm)')
        ax.set_ylabel('x (mm)')
        metrics = ', '.join(f'{k} {v:.2f}' for k, v in list(result.metrics.items())[:2])
        label = episode.params.get('shape', 'serpentine stroke')
        ax.set_title(f'{label}: {"success" if result.success else "FAIL"}\n{metrics}',
                     fontsize=9)
        ax.legend(fontsize=7, loc='best')
        ax = axes[row, 2]
        ax.plot(trace.times, trace.contact_force, 'C0', lw=1)
        t0, t1 = episode.contact_window
        ax.axvspan(t0, t1, color='C2', alpha=0.1, label='contact window')
        if name == 'wipe':
            for f in episode.params['force_band_n']:
                ax.axhline(f, color='k', ls=':', lw=1)
        ax.set_xlabel('time (s)')
        ax.set_ylabel('tip contact force (N)')
        ax.set_title(f'{name}: contact force', fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(__file__).with_suffix('.png')
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=90, format='png')
    print(out)


if __name__ == '__main__':
    main()
