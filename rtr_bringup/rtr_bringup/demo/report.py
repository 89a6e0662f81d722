"""The demo report: summary table, the issue's targets checked against the numbers, a
paragraph generated from them, and the figures (tip speed over time, a seam close-up, the
traced shapes over the reference). Everything is computed from the run's own measurements.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rtr_core.evaluation.plots import _pyplot, _save
from rtr_core.metrics.intervals import paired_difference, success_text

from .metrics import summary_table

INK_FORCE = 0.1  # N: the pen writes (as the write task scores it)

DEFINITIONS = (
    '*success*: successful episodes with the 95% Wilson interval of the rate. *deviation*: the '
    'task\'s mean shape-to-ink distance; *joint dev.*: distance to the expert\'s joint plan at '
    'the same time. *speed RMS*: RMS of the commanded tool-tip speed minus the expert\'s at '
    'the same tick; *along path*: minus the expert\'s speed where it passed closest to the '
    'command (within 0.5 s), which does not charge a run for lagging the expert. '
    '*jerk mean* over the episode; *in-chunk jerk p50* over the ticks that are in-chunk for '
    'every run of the episode (not within 3 ticks before nor within the longest blend after '
    'any run\'s hand-over), the same ticks for all runs. *seam jerk*: the largest jerk within '
    '3 ticks of a hand-over (absolute) and over the in-chunk jerk p50 (*ratio*). *seam gap*: '
    'the hand-over step minus the step before it, |p_s - 2 p_(s-1) + p_(s-2)| (0 for steady '
    'motion, J for a jump J); its ratio is over the same second difference on the in-chunk '
    'ticks. n/a: too few in-chunk ticks for a baseline.')
PAIRED_TEXT = (
    'Each cell: mean over the held-out episodes of (first run - second run), with the 95% '
    'bootstrap interval of that mean over the paired episodes (the same seeds); *better* or '
    '*worse* only when the interval excludes 0 (lower is better except success). `anchor` '
    'is the hand-over anchor alone (no VAE); `rtr_paper_anchor` is the seed\'s RTR with the '
    'same anchor; `rtr` refines through the VAE and anchors. The `direct_60hz_*` runs execute '
    'the direct 60 Hz action-space policy\'s jittery chunks asynchronously, where `rtr` '
    'projects them through the VAE.')


def _get(rows, name, key):
    row = rows.get(name)
    return float('nan') if row is None else row.get(key, float('nan'))


#: Per-episode metrics compared run against run: (label, path in episode metrics, scale).
PAIRED = (
    ('task deviation mm', ('task', 'deviation_mean_mm'), 1.0),
    ('joint deviation mrad', ('deviation', 'mean'), 1e3),
    ('speed RMS mm/s', ('speed', 'rms'), 1.0),
    ('speed RMS along path mm/s', ('speed', 'path_rms'), 1.0),
    ('jerk mean rad/s^3', ('jerk', 'mean'), 1.0),
    ('seam jerk rad/s^3', ('seam', 'jerk_mean'), 1.0),
    ('seam gap mrad', ('seam', 'gap_mean'), 1e3),
    ('success (episodes)', ('task', 'success'), 1.0),
)
#: What the VAE adds: (run with the VAE, the same without it).
ABLATIONS = (('rtr', 'anchor'), ('rtr_paper_anchor', 'anchor'), ('rtr', 'rtr_paper_anchor'),
             ('direct_60hz_rtr', 'direct_60hz_anchor'))


def episode_values(per_episode: dict | None, name: str, path=('task', 'deviation_mean_mm'),
                   scale: float = 1.0) -> list[float]:
    """One metric of every held-out episode of run ``name`` (empty when not run or not
    measured)."""
    if not per_episode or name not in per_episode:
        return []
    out = []
    for m in per_episode[name]:
        v = m
        for key in path:
            if not isinstance(v, dict) or key not in v:
                return []
            v = v[key]
        out.append(scale * float(v))
    return out


def _episode_values(per_episode: dict | None, name: str) -> list[float]:
    return episode_values(per_episode, name)


def paired_table(per_episode: dict[str, list[dict]], pairs=ABLATIONS) -> str:
    """Markdown: for each pair (a, b) and metric, mean of a - b over the episodes with its
    paired 95% bootstrap interval, and whether the interval excludes 0. Every metric is lower
    = better except success."""
    pairs = [(a, b) for a, b in pairs if a in per_episode and b in per_episode]
    if not pairs:
        return ''
    head = '| metric | ' + ' | '.join(f'{a} - {b}' for a, b in pairs) + ' |'
    lines = [head, '|' + '---|' * (len(pairs) + 1)]
    for label, path, scale in PAIRED:
        cells = []
        for a, b in pairs:
            mean, lo, hi = paired_difference(episode_values(per_episode, a, path, scale),
                                             episode_values(per_episode, b, path, scale))
            if not np.isfinite(mean):
                cells.append('n/a')
                continue
            up = path[-1] == 'success'
            verdict = ('better' if (lo > 0 if up else hi < 0) else
                       'worse' if (hi < 0 if up else lo > 0) else 'no difference resolved')
            cells.append(f'{mean:+.2f} [{lo:+.2f}, {hi:+.2f}] {verdict}')
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def check_targets(rows: dict[str, dict], async_runs: list[str],
                  per_episode: dict[str, list[dict]] | None = None
                  ) -> list[tuple[str, bool | None, str]]:
    """(target, met (None: not measurable with these runs), the numbers behind it).

    With ``per_episode`` (metrics of each held-out episode per run), the deviation comparison
    also quotes the paired difference with its 95% confidence interval."""
    out = []
    lat, direct, interp = (_get(rows, n, 'jerk_mean') for n in
                           ('latent_60hz', 'direct_60hz', '15hz_interpolated'))
    lat_in, direct_in, interp_in = (_get(rows, n, 'in_chunk_jerk') for n in
                                    ('latent_60hz', 'direct_60hz', '15hz_interpolated'))
    if np.isfinite([lat, direct, interp]).all():
        met = lat < direct and lat < interp
        out.append(('latent 60 Hz smoother than direct 60 Hz and than interpolated 15 Hz',
                    bool(met), f'jerk mean {lat:.1f} vs {direct:.1f} (direct 60 Hz) and '
                    f'{interp:.1f} (15 Hz cubic) rad/s^3; in-chunk jerk p50 {lat_in:.1f} vs '
                    f'{direct_in:.1f} and {interp_in:.1f}'))
    else:
        out.append(('latent 60 Hz smoother than direct 60 Hz and interpolated 15 Hz', None,
                    'needs the runs latent_60hz, direct_60hz and 15hz_interpolated'))
    if async_runs:
        stalls = {n: _get(rows, n, 'stall_fraction') for n in async_runs}
        longest = {n: _get(rows, n, 'longest_stall_s') for n in async_runs}
        idle = max(_get(rows, n, 'idle_fraction') for n in async_runs)
        worst = max(stalls, key=lambda n: stalls[n])
        sync = {n: _get(rows, n, 'stall_fraction') for n in rows if n not in async_runs}
        ref = ', '.join(f'{n} {v:.3f}' for n, v in sync.items())
        met = idle == 0 and stalls[worst] <= 0.02 and max(longest.values()) <= 0.1
        out.append(('no stop-and-go under asynchronous execution (executor never idle, stall '
                    '<= 2%, no stall longer than 0.1 s)', bool(met),
                    f'idle at most {idle:.3f}; stall fraction at most {stalls[worst]:.3f} '
                    f'({worst}), longest stall at most {max(longest.values()):.2f} s; sync '
                    f'runs: {ref}'))
    if 'rtr' in async_runs and len(async_runs) > 1:
        others = [n for n in async_runs if n != 'rtr']
        for key, path, label, unit in (
                ('seam_jerk', ('seam', 'jerk_mean'), 'absolute seam jerk', ' rad/s^3'),
                ('seam_gap_mrad', ('seam', 'gap_mean'), 'seam gap', ' mrad')):
            best = min(others, key=lambda n: _get(rows, n, key))
            mine, theirs = _get(rows, 'rtr', key), _get(rows, best, key)
            scale = 1e3 if key == 'seam_gap_mrad' else 1.0
            mean, lo, hi = paired_difference(episode_values(per_episode, 'rtr', path, scale),
                                             episode_values(per_episode, best, path, scale))
            ci = (f'; paired rtr - {best} = {mean:+.2f}, 95% CI [{lo:+.2f}, {hi:+.2f}]'
                  if np.isfinite(mean) else '')
            out.append((f'rtr has the smallest {label} among the async strategies',
                        bool(mine < theirs), f'rtr {mine:.2f}{unit}, next best {best} '
                        f'{theirs:.2f}{unit}{ci}'))
        # the target: the task's own deviation (shape to ink) and success
        best = min(others, key=lambda n: _get(rows, n, 'deviation_mm'))
        mine, theirs = _get(rows, 'rtr', 'deviation_mm'), _get(rows, best, 'deviation_mm')
        ok = mine <= 1.1 * theirs
        parts = [f'task deviation rtr {mine:.2f} vs best other {theirs:.2f} mm ({best})']
        mean, lo, hi = paired_difference(_episode_values(per_episode, 'rtr'),
                                         _episode_values(per_episode, best))
        if np.isfinite(mean):
            parts.append(f'paired over the episodes rtr - {best} = {mean:+.2f} mm, '
                         f'95% CI [{lo:+.2f}, {hi:+.2f}]')
        # success is compared by counts with intervals, never by ranking point estimates
        top = max(others, key=lambda n: _get(rows, n, 'success'))
        path = ('task', 'success')
        mean, lo, hi = paired_difference(episode_values(per_episode, 'rtr', path),
                                         episode_values(per_episode, top, path))
        if np.isfinite(mean):
            ok &= hi >= 0  # not worse beyond the episodes' spread
        else:
            episodes = max(1, int(_get(rows, 'rtr', 'episodes')))
            ok &= _get(rows, 'rtr', 'success') >= _get(rows, top, 'success') - 1.0 / episodes
        parts.append(f'success rtr {rows["rtr"].get("success_text", "n/a")} vs most '
                     f'successful other {rows[top].get("success_text", "n/a")} ({top})' +
                     (f', paired difference {mean:+.2f} [{lo:+.2f}, {hi:+.2f}]'
                      if np.isfinite(mean) else ''))
        out.append(('rtr at comparable task deviation (within 10% of the best other async '
                    'strategy) and success (not fewer beyond the 95% interval)', bool(ok),
                    '; '.join(parts)))
        # stricter, ours: the distance to the expert's joint plan at the same time, which
        # also counts pace (a shape traced well but late scores worse here)
        best = min(others, key=lambda n: _get(rows, n, 'joint_deviation_mrad'))
        mine = _get(rows, 'rtr', 'joint_deviation_mrad')
        theirs = _get(rows, best, 'joint_deviation_mrad')
        out.append(('rtr within 10% of the best other async strategy in joint-space deviation '
                    'from the expert\'s timed plan', bool(mine <= 1.1 * theirs),
                    f'rtr {mine:.2f} vs {theirs:.2f} mrad ({best})'))
    return out


def paragraph(rows: dict[str, dict], checks, async_runs: list[str]) -> str:
    """A short reading of the numbers (every figure quoted is from ``rows``)."""
    parts = []
    best = min(rows, key=lambda n: rows[n]['deviation_mm'])
    counts = sorted({r.get('successes', 0) for r in rows.values()})
    n = max(int(r['episodes']) for r in rows.values())
    parts.append(f'Successful episodes range from {counts[0]}/{n} to {counts[-1]}/{n} '
                 f'({success_text(counts[-1], n)} at most, 95% Wilson interval): at this '
                 f'number of episodes, counts a few apart cannot be ranked. The closest tracing '
                 f'is {best}\'s ({rows[best]["deviation_mm"]:.2f} mm mean shape-to-ink '
                 f'distance).')
    sync = [n for n in rows if n not in async_runs]
    if sync:
        smooth = min(sync, key=lambda n: rows[n]['jerk_mean'])
        rough = max(sync, key=lambda n: rows[n]['jerk_mean'])
        parts.append(f'Executed synchronously, {smooth} is the smoothest representation '
                     f'(jerk {rows[smooth]["jerk_mean"]:.0f} rad/s^3) and {rough} the roughest '
                     f'({rows[rough]["jerk_mean"]:.0f}); sync runs stall '
                     f'{min(rows[n]["stall_fraction"] for n in sync):.0%}-'
                     f'{max(rows[n]["stall_fraction"] for n in sync):.0%} of the time while the '
                     f'policy thinks.')
    if async_runs:
        seams = sorted(async_runs, key=lambda n: rows[n]['seam_jerk'])
        speed = sorted(async_runs, key=lambda n: rows[n]['speed_rms'])
        parts.append(f'Under asynchronous inference ({rows[seams[0]]["latency_obs_to_chunk"]:.2f}'
                     f' s median latency) the robot keeps moving (stall at most '
                     f'{max(rows[n]["stall_fraction"] for n in async_runs):.1%}); the jerk at '
                     f'hand-overs runs from {rows[seams[0]]["seam_jerk"]:.0f} rad/s^3 '
                     f'({seams[0]}) to {rows[seams[-1]]["seam_jerk"]:.0f} ({seams[-1]}), and the '
                     f'commanded tip speed misses the expert\'s by '
                     f'{rows[speed[0]]["speed_rms"]:.0f} ({speed[0]}) to '
                     f'{rows[speed[-1]]["speed_rms"]:.0f} mm/s RMS ({speed[-1]}).')
    missed = [c for c in checks if c[1] is False]
    if missed:
        parts.append('Not met in this run: ' + '; '.join(f'{c[0]} ({c[2]})' for c in missed)
                     + '.')
    else:
        parts.append('Every target checked below is met in this run.')
    return ' '.join(parts)


def _tip_speed(log) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = np.diff(log.t)
    speed = np.linalg.norm(np.diff(log.command_tip, axis=0), axis=1) / dt * 1e3
    expert = np.linalg.norm(np.diff(log.expert_tip, axis=0), axis=1) / dt * 1e3
    return log.t[1:], speed, expert


def plot_speed(logs: dict, path: Path, window: tuple[float, float] | None = None) -> Path:
    """Commanded tool-tip speed (forward kinematics of the executor's command) over time, one
    row per run: stop-and-go shows as the speed dropping to 0, seams (red lines: chunk
    hand-overs) as spikes."""
    plt = _pyplot()
    n = len(logs)
    fig, axes = plt.subplots(n, 1, figsize=(10, 1.45 * n + 0.6), sharex=True, squeeze=False)
    for ax, (name, log) in zip(axes[:, 0], logs.items(), strict=True):
        t, speed, expert = _tip_speed(log)
        if window is not None:
            m = (t >= window[0]) & (t <= window[1])
            t, speed, expert = t[m], speed[m], expert[m]
        ax.plot(t, expert, color='0.65', lw=1.6, label='expert plan')
        ax.plot(t, speed, color='tab:blue', lw=0.9, label='executed')
        for ts in log.t[np.flatnonzero(log.spliced)[1:]]:
            if t.size and t[0] <= ts <= t[-1]:
                ax.axvline(ts, color='tab:red', lw=0.5, alpha=0.3)
        ax.set_ylabel(name, rotation=0, ha='right', va='center', fontsize=8)
        ax.set_ylim(0, max(1.0, np.percentile(expert, 99) * 2.5))
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(loc='upper right', fontsize=7, ncol=2)
    axes[-1, 0].set_xlabel('time (s)')
    fig.suptitle('commanded tool-tip speed (mm/s), one held-out episode per run; grey: the '
                 'expert\'s plan; red: chunk hand-overs', fontsize=9)
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_seams(logs: dict, path: Path, half_window: float = 0.5) -> Path:
    """Commanded velocity of the joint that moves most, around one mid-episode hand-over."""
    plt = _pyplot()
    first = next(iter(logs.values()))
    j = int(np.argmax(np.ptp(first.expert, axis=0)))
    fig, axes = plt.subplots(len(logs), 1, figsize=(7, 1.3 * len(logs) + 0.6), sharex=False,
                             squeeze=False)
    for ax, (name, log) in zip(axes[:, 0], logs.items(), strict=True):
        seams = np.flatnonzero(log.spliced)[1:]
        mid = seams[len(seams) // 2] if seams.size else log.t.size // 2
        m = np.abs(log.t - log.t[mid]) <= half_window
        ax.plot(log.t[m], log.command_velocity[m, j], marker='.', ms=2, lw=0.8)
        for ts in log.t[seams]:
            if abs(ts - log.t[mid]) <= half_window:
                ax.axvline(ts, color='tab:red', lw=0.8, alpha=0.5)
        ax.set_ylabel(name, rotation=0, ha='right', va='center', fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel('time (s)')
    fig.suptitle(f'commanded {first_joint_name(j)} velocity (rad/s) around a hand-over (red)',
                 fontsize=9)
    fig.tight_layout()
    return _save(fig, path, plt)


def first_joint_name(j: int) -> str:
    return f'joint_{j + 1}'


def plot_traced(logs: dict, path: Path) -> Path:
    """Ink (tip positions while the pen presses) over the shape to write, one panel per run."""
    plt = _pyplot()
    n = len(logs)
    cols = min(5, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis('off')
    for ax, (name, log) in zip(axes.ravel(), logs.items(), strict=False):
        ref = log.reference * 1e3
        ax.plot(ref[:, 0], ref[:, 1], color='0.7', lw=3, label='shape')
        ink = log.tip[log.contact_force > INK_FORCE] * 1e3
        ax.plot(ink[:, 0], ink[:, 1], '.', color='tab:blue', ms=1.2, label='ink')
        ok = 'success' if log.success else 'fail'
        ax.set_title(f'{name}\n{log.task_metrics.get("deviation_mean_mm", np.nan):.2f} mm, '
                     f'{ok}', fontsize=8)
        ax.set_aspect('equal')
        ax.tick_params(labelsize=6)
    axes[0, 0].legend(loc='best', fontsize=6)
    fig.suptitle('traced shapes (mm, board frame) over the reference', fontsize=9)
    fig.tight_layout()
    return _save(fig, path, plt)


def report_markdown(title: str, rows: dict, checks, text: str, figures: dict[str, str],
                    notes: list[str], open_loop: str = '', real_time: str = '',
                    paired: str = '') -> str:
    lines = [f'# {title}', '', text, '', '## Summary (means over the held-out episodes)', '',
             summary_table(rows), '', DEFINITIONS, '', '## Targets', '']
    for name, met, numbers in checks:
        mark = {True: 'met', False: 'NOT met', None: 'not measured'}[met]
        lines.append(f'- **{mark}**: {name}: {numbers}')
    if paired:
        lines += ['', '## What the VAE adds over the hand-over anchor', '', PAIRED_TEXT, '',
                  paired]
    lines += ['', '## Figures', '']
    for caption, file in figures.items():
        lines += [f'![{caption}]({file})', '', f'*{caption}*', '']
    if open_loop:
        lines += ['## Open-loop evaluation (held-out expert recordings)', '', open_loop, '']
    if real_time:
        lines += ['## Real time (threads, wall clock)', '', real_time, '']
    lines += ['## How this was run', ''] + [f'- {n}' for n in notes] + ['']
    return '\n'.join(lines)
