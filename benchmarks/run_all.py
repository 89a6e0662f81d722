"""Run every benchmark of the project and write docs/benchmarks.md from what they print.

Each ``benchmarks/bench_*.py`` runs in its own process (the project's Python, one after the
other so that timings do not compete); its stdout (markdown tables) becomes its section of
docs/benchmarks.md, under a header with the date, the machine and the load. Notes written
by people about a benchmark live in ``benchmarks/notes/<name>.md`` and are placed after its
tables. A section is delimited by ``<!-- bench:<name> -->`` markers: ``--only`` reruns some
benchmarks and keeps the other sections as they were.

    make bench                                   # everything
    .venv/bin/python benchmarks/run_all.py --only bench_fuzz bench_soak
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / 'benchmarks'
DOC = ROOT / 'docs' / 'benchmarks.md'
INTRO = """# Benchmarks

Every number here is printed by a script under `benchmarks/`; `make bench` (or
`.venv/bin/python benchmarks/run_all.py`) runs them all and writes this page. Timings are
medians over repeated runs; the machines are noisy, so compare ratios measured in the same run
rather than absolute numbers across runs. Each section says when and where it ran.
"""


def benchmarks() -> list[str]:
    return sorted(p.stem for p in HERE.glob('bench_*.py'))


def title(name: str) -> str:
    text = (HERE / f'{name}.py').read_text()
    match = re.search(r'"""(.+?)(?:\n\n|""")', text, re.S)
    return ' '.join(match.group(1).split()) if match else name


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return (f'{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, '
            f'Python {platform.python_version()}')


def lerobot_note() -> str:
    presets = ('the `weighted_average` strategy implements its presets (weighted_average, '
               'average, conservative, latest_only)')
    if importlib.util.find_spec('lerobot') is None:
        return ('LeRobot is not installed here (it is an optional extra, never a core '
                'dependency: see docs on peers), so its aggregation functions were not run side '
                f'by side; {presets}.')
    return ('LeRobot is installed for the tests only (its dataset writer, without its '
            'dependencies); no benchmark runs its aggregation functions side by side: '
            f'{presets}.')


def run(name: str, timeout: float) -> str:
    """The section of one benchmark: header, its output (or failure), its notes."""
    cmd = [sys.executable, str(HERE / f'{name}.py')]
    env = {**os.environ, 'MUJOCO_GL': os.environ.get('MUJOCO_GL', 'egl')}
    load = os.getloadavg()[0]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        out, rc = proc.stdout.strip(), proc.returncode
        err = proc.stderr.strip().splitlines()[-15:]
    except subprocess.TimeoutExpired as exc:
        out, rc, err = (exc.stdout or b'').decode() if isinstance(exc.stdout, bytes) else \
            (exc.stdout or ''), 'timeout', [f'killed after {timeout:.0f} s']
    wall = time.perf_counter() - start
    date = datetime.date.today().isoformat()
    lines = [f'<!-- bench:{name} -->', f'## {title(name)}', '',
             f'`benchmarks/{name}.py`, {date}, {machine()}, load average {load:.1f} at the '
             f'start, {wall:.0f} s wall.', '']
    if rc != 0:
        lines += [f'**The script failed (exit {rc}).** Last lines of its stderr:', '', '```',
                  *err, '```', '']
    if out:
        lines += [out, '']
    notes = HERE / 'notes' / f'{name}.md'
    if notes.is_file():
        lines += [notes.read_text().strip(), '']
    lines.append(f'<!-- /bench:{name} -->')
    print(f'{name}: exit {rc}, {wall:.0f} s', file=sys.stderr)
    return '\n'.join(lines)


def existing_sections(text: str) -> dict[str, str]:
    pattern = re.compile(r'<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->', re.S)
    return {m.group(1): m.group(0) for m in pattern.finditer(text)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+', help='benchmark names (bench_x); default all')
    parser.add_argument('--out', default=str(DOC))
    parser.add_argument('--timeout', type=float, default=3600.0, help='per benchmark, s')
    args = parser.parse_args()
    names = benchmarks()
    chosen = args.only or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f'unknown benchmarks {unknown}; there are {names}')
    out = Path(args.out)
    sections = existing_sections(out.read_text()) if out.is_file() else {}
    failed = []
    for name in chosen:
        sections[name] = run(name, args.timeout)
        if 'The script failed' in sections[name]:
            failed.append(name)
    body = [INTRO, lerobot_note(), '']
    body += [sections[n] for n in names if n in sections]
    tmp = out.with_name(out.name + '.tmp')
    tmp.write_text('\n'.join(body).rstrip() + '\n')
    tmp.replace(out)
    print(f'wrote {out}' + (f'; failed: {", ".join(failed)}' if failed else ''),
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    raise SystemExit(main())
