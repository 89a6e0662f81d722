"""Atomic rosbag2 writer: a bag appears under its final name only once it is complete."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from rosbags.rosbag2 import StoragePlugin, Writer

from ..errors import RtrError
from ..msgs.definitions import typestore
from ..msgs.types import MessageTypes

STORAGES = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}


class BagError(RtrError):
    """A rosbag2 file that cannot be written or read as expected (names the bag)."""


class BagWriter:
    """Write ROS 2 messages (rosbags classes) into a new rosbag2 folder.

    The bag is written as ``.<name>.partial/<name>`` beside ``path`` (so its storage file
    already has its final name, ``<name>.mcap``) and moved to ``path`` on a clean close; on an
    exception the partial folder is removed, so a reader never sees a half-written bag.
    Use as a context manager::

        with BagWriter('runs/ep0') as bag:
            bag.write('/joint_states', msg, t)
    """

    def __init__(self, path: str | Path, storage: str = 'mcap', distro: str = 'jazzy'):
        if storage not in STORAGES:
            raise BagError(f'{path}: unknown storage {storage!r}; '
                           f'expected one of {sorted(STORAGES)}')
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f'{self.path}: exists already; not overwriting a bag')
        self.storage = storage
        self.types = MessageTypes.from_rosbags(distro)
        self._store = typestore(distro)
        self._partial = self.path.parent / f'.{self.path.name}.partial'
        self._staged = self._partial / self.path.name
        self._writer: Writer | None = None
        self._connections: dict[str, object] = {}

    def open(self) -> BagWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._partial.exists():  # left by a crashed run: never resumed, always restarted
            shutil.rmtree(self._partial)
        self._partial.mkdir()
        self._writer = Writer(self._staged, version=Writer.VERSION_LATEST,
                              storage_plugin=STORAGES[self.storage])
        self._writer.open()
        return self

    def write(self, topic: str, msg, time: float) -> None:
        """Write ``msg`` on ``topic`` with receive time ``time`` (seconds)."""
        if self._writer is None:
            raise BagError(f'{self.path}: write() before open()')
        msgtype = msg.__msgtype__
        conn = self._connections.get(topic)
        if conn is None:
            conn = self._writer.add_connection(topic, msgtype, typestore=self._store)
            self._connections[topic] = conn
        elif conn.msgtype != msgtype:
            raise BagError(f'{self.path}: topic {topic} has type {conn.msgtype}, '
                           f'cannot write a {msgtype}')
        data = self._store.serialize_cdr(msg, msgtype)
        self._writer.write(conn, int(round(time * 1e9)), data)

    def set_custom_data(self, key: str, value: str) -> None:
        """Store ``key: value`` (strings) in the bag's metadata.yaml ``custom_data``.

        Episode metadata kept there travels with the bag and is shown by ``ros2 bag info``.
        """
        if self._writer is None:
            raise BagError(f'{self.path}: set_custom_data() before open()')
        if not isinstance(key, str) or not isinstance(value, str):
            raise BagError(f'{self.path}: custom_data {key!r}: key and value must be strings, '
                           f'got {type(key).__name__} and {type(value).__name__}')
        self._writer.set_custom_data(key, value)

    def close(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        os.replace(self._staged, self.path)
        self._partial.rmdir()

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._writer = None
        shutil.rmtree(self._partial, ignore_errors=True)

    def __enter__(self) -> BagWriter:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
