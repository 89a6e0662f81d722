"""docs/benchmarks.md and benchmarks/notes/ say the same thing.

`benchmarks/run_all.py` writes a benchmark's section from what the script prints followed by
its notes file, so the notes file is the one source of a section's prose: prose edited in
docs/benchmarks.md alone is lost on the next run, and a notes file edited alone is not what
readers see until then.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / 'docs' / 'benchmarks.md'
NOTES = sorted((ROOT / 'benchmarks' / 'notes').glob('*.md'))


def sections() -> dict[str, str]:
    pattern = re.compile(r'<!-- bench:(\w+) -->(.*?)<!-- /bench:\1 -->', re.S)
    return {m.group(1): m.group(2) for m in pattern.finditer(DOC.read_text())}


def test_every_notes_file_belongs_to_a_benchmark():
    scripts = {p.stem for p in (ROOT / 'benchmarks').glob('bench_*.py')}
    orphans = [p.name for p in NOTES if p.stem not in scripts]
    assert not orphans, f'benchmarks/notes/ files without a benchmarks/<name>.py: {orphans}'


@pytest.mark.parametrize('notes', NOTES, ids=lambda p: p.stem)
def test_notes_are_in_their_section_verbatim(notes):
    section = sections().get(notes.stem)
    if section is None:
        pytest.skip(f'{notes.stem} has no section in docs/benchmarks.md yet (not run)')
    text = notes.read_text().strip()
    assert text in section, (
        f'benchmarks/notes/{notes.name} is not the prose of the {notes.stem} section of '
        f'docs/benchmarks.md: edit the notes file and copy it into the section (or rerun '
        f'benchmarks/run_all.py --only {notes.stem}), so that neither loses the other\'s text')
