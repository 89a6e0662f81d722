"""Damaged and mismatched rosbag2 files: a clear BagError naming the bag, never a crash.

The bags are real (rosbags mcap and sqlite3, written by BagWriter through the chunk-stream
recorder) and damaged on disk: truncated at any byte, bytes overwritten, metadata broken,
topics missing or of the wrong type.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtr_core.bag import BagError, BagReader, BagWriter
from rtr_core.errors import RtrError
from rtr_core.evaluation.chunk_stream import (
    CHUNK_TOPIC,
    REFERENCE_TOPIC,
    StreamConfig,
    predicted_stream,
    write_stream_bag,
)
from rtr_core.evaluation.replay import load_stream
from rtr_core.msgs import joint_state_to_msg

NAMES = tuple(f'joint_{i}' for i in range(1, 8))


@pytest.fixture(scope='module')
def bags(tmp_path_factory):
    """One good recording per storage format: 3 s of reference and its chunk stream."""
    root = tmp_path_factory.mktemp('bags')
    t = np.arange(180) / 60
    q = 0.3 * np.sin(t[:, None] + np.arange(7)[None])
    stream = predicted_stream(t, q, NAMES, StreamConfig(seed=1))
    out = {}
    for storage in ('mcap', 'sqlite3'):
        out[storage] = write_stream_bag(root / storage, stream, t, q, NAMES, storage=storage)
    out['chunks'] = len(stream)
    return out


def _storage_file(bag: Path) -> Path:
    return next(p for p in bag.iterdir() if p.suffix in ('.mcap', '.db3'))


def _read_all(path: Path):
    """Everything a user of a bag does: load the stream, and read every message."""
    try:
        stream = load_stream(path)
        assert all(np.isfinite(rc.chunk.positions).all() for rc in stream.chunks)
    except RtrError as exc:
        assert isinstance(exc, BagError) and str(path) in str(exc), exc
        stream = None
    try:
        with BagReader(path) as bag:
            n = sum(1 for _ in bag.messages())
    except BagError as exc:
        assert str(path) in str(exc)
        n = None
    return stream, n


def _damaged_copy(bag: Path, tmp: str, damage) -> Path:
    copy = Path(tmp) / 'bag'
    shutil.copytree(bag, copy)
    f = _storage_file(copy)
    f.write_bytes(damage(f.read_bytes()))
    return copy


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_the_undamaged_bags_read_completely(bags, storage):
    stream, n = _read_all(bags[storage])
    assert len(stream.chunks) == bags['chunks'] and n == bags['chunks'] + 180


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
@settings(max_examples=25, deadline=None, derandomize=True)
@given(fraction=st.floats(0.0, 0.999))
def test_truncated_bags_fail_clearly_or_read_a_prefix(bags, storage, fraction):
    with tempfile.TemporaryDirectory() as tmp:
        path = _damaged_copy(bags[storage], tmp, lambda b: b[:int(len(b) * fraction)])
        stream, n = _read_all(path)
        if stream is not None:  # what is read must be a prefix of the recording
            assert len(stream.chunks) <= bags['chunks']


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_overwritten_bytes_fail_clearly(bags, storage, data):
    size = _storage_file(bags[storage]).stat().st_size
    edits = data.draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)),
                               min_size=1, max_size=40))

    def damage(b):
        b = bytearray(b)
        for i, v in edits:
            b[i] = v
        return bytes(b)

    with tempfile.TemporaryDirectory() as tmp:
        _read_all(_damaged_copy(bags[storage], tmp, damage))


@pytest.mark.parametrize('text', ['', 'rosbag2_bagfile_information: 7\n', '{{{{',
                                  'rosbag2_bagfile_information:\n  version: 9\n'])
def test_broken_metadata_fails_naming_the_bag(bags, tmp_path, text):
    copy = tmp_path / 'bag'
    shutil.copytree(bags['mcap'], copy)
    (copy / 'metadata.yaml').write_text(text)
    with pytest.raises(BagError, match=str(copy)):
        load_stream(copy)


def test_missing_topic_and_wrong_type_are_named(tmp_path):
    with BagWriter(tmp_path / 'refs_only') as bag:
        bag.write(REFERENCE_TOPIC, joint_state_to_msg(0.0, NAMES, np.zeros(7), bag.types), 0.0)
    with pytest.raises(BagError, match=f'topic {CHUNK_TOPIC} not in the bag'):
        load_stream(tmp_path / 'refs_only')
    with BagWriter(tmp_path / 'wrong_type') as bag:
        bag.write(CHUNK_TOPIC, joint_state_to_msg(0.0, NAMES, np.zeros(7), bag.types), 0.0)
    with pytest.raises(BagError, match='has type sensor_msgs/msg/JointState, expected '
                                       'rtr_msgs/msg/ActionChunk'):
        load_stream(tmp_path / 'wrong_type')
    with pytest.raises(BagError, match='no such rosbag2 folder'):
        load_stream(tmp_path / 'nowhere')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(BagError, match='no metadata.yaml'):
        load_stream(tmp_path / 'empty')
