import pytest

from rtr_core.atomic import atomic_path, write_text


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / 'out' / 'report.md'
    write_text(target, 'first')
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('half')
            raise RuntimeError('crash mid-write')
    assert target.read_text() == 'first'
    assert [p.name for p in target.parent.iterdir()] == ['report.md']
