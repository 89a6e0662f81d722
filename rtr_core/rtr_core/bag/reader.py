"""rosbag2 reader that deserialises to rosbags classes and names the bag in every error."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from rosbags.rosbag2 import Reader
from rosbags.typesys import get_types_from_msg

from ..msgs.definitions import typestore
from .writer import BagError


@dataclass(frozen=True)
class BagMessage:
    topic: str
    msgtype: str
    time: float  # receive time in seconds
    msg: object


class BagReader:
    """Read a rosbag2 folder (mcap or sqlite3) recorded by us or by ``ros2 bag record``.

    Message types unknown to our typestore are registered from the definitions stored in
    the bag, so a user's custom messages can be read too.
    """

    def __init__(self, path: str | Path, distro: str = 'jazzy'):
        self.path = Path(path)
        if not self.path.exists():
            raise BagError(f'{self.path}: no such rosbag2 folder')
        if not (self.path / 'metadata.yaml').is_file():
            raise BagError(f'{self.path}: not a rosbag2 folder (no metadata.yaml)')
        self._store = typestore(distro)
        try:
            self._reader = Reader(self.path)
            self._reader.open()
        except Exception as exc:
            raise BagError(f'{self.path}: cannot open rosbag2: {exc}') from exc
        self._register_unknown_types()

    def _register_unknown_types(self) -> None:
        for conn in self._reader.connections:
            if conn.msgtype in self._store.types:
                continue
            msgdef = getattr(conn, 'msgdef', None)
            if msgdef is None or not msgdef.data:
                continue  # reading such a topic fails later with a clear error
            try:
                self._store.register(get_types_from_msg(msgdef.data, conn.msgtype))
            except Exception as exc:
                raise BagError(f'{self.path}: topic {conn.topic}: cannot parse the stored '
                               f'definition of {conn.msgtype}: {exc}') from exc

    @property
    def topics(self) -> dict[str, str]:
        """Topic name -> message type."""
        return {c.topic: c.msgtype for c in self._reader.connections}

    @property
    def custom_data(self) -> dict[str, str]:
        """The ``custom_data`` strings of the bag's metadata.yaml (empty if none)."""
        try:
            info = yaml.safe_load((self.path / 'metadata.yaml').read_text())
            data = info['rosbag2_bagfile_information'].get('custom_data') or {}
        except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise BagError(f'{self.path}/metadata.yaml: cannot read custom_data: {exc}') from exc
        if not isinstance(data, dict):
            raise BagError(f'{self.path}/metadata.yaml: custom_data must be a mapping of '
                           f'strings, got {type(data).__name__}')
        return {str(k): str(v) for k, v in data.items()}

    @property
    def message_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self._reader.connections:
            counts[c.topic] = counts.get(c.topic, 0) + c.msgcount
        return counts

    def require(self, topic: str, msgtype: str | None = None) -> None:
        """Raise a :class:`BagError` naming the bag unless ``topic`` (of ``msgtype``) exists."""
        topics = self.topics
        if topic not in topics:
            raise BagError(f'{self.path}: topic {topic} not in the bag; it has '
                           f'{", ".join(f"{t} ({m})" for t, m in sorted(topics.items()))}')
        if msgtype is not None and topics[topic] != msgtype:
            raise BagError(f'{self.path}: topic {topic} has type {topics[topic]}, '
                           f'expected {msgtype}')

    def raw_messages(self, topics: Iterable[str] | None = None
                     ) -> Iterator[tuple[str, str, int, bytes]]:
        """(topic, message type, receive time in ns, CDR bytes) in receive-time order, as
        stored (what a player publishes as serialised messages)."""
        for conn, t_ns, raw in self._raw(topics):
            yield conn.topic, conn.msgtype, t_ns, bytes(raw)

    def _raw(self, topics):
        wanted = None if topics is None else set(topics)
        if wanted is not None:
            for topic in wanted:
                self.require(topic)
        conns = [c for c in self._reader.connections if wanted is None or c.topic in wanted]
        try:
            yield from self._reader.messages(connections=conns)
        except Exception as exc:
            raise BagError(f'{self.path}: cannot read messages (truncated or corrupt '
                           f'bag?): {exc}') from exc

    def messages(self, topics: Iterable[str] | None = None) -> Iterator[BagMessage]:
        """Messages in receive-time order, deserialised."""
        try:
            for conn, t_ns, raw in self._raw(topics):
                if conn.msgtype not in self._store.types:
                    raise BagError(f'{self.path}: topic {conn.topic}: unknown message type '
                                   f'{conn.msgtype} and no definition stored in the bag')
                try:
                    msg = self._store.deserialize_cdr(raw, conn.msgtype)
                except Exception as exc:
                    raise BagError(f'{self.path}: topic {conn.topic}: cannot decode a '
                                   f'{conn.msgtype} at t={t_ns * 1e-9:.6f}s: {exc}') from exc
                yield BagMessage(conn.topic, conn.msgtype, t_ns * 1e-9, msg)
        except BagError:
            raise
        except Exception as exc:
            raise BagError(f'{self.path}: cannot read messages (truncated or corrupt '
                           f'bag?): {exc}') from exc

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> BagReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
