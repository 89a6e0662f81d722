"""Message types for the ROS-free code, built by ``rosbags`` from the .msg files.

The .msg files in the ``rtr_msgs`` package are the only definition of our messages. They are
found, in order, in ``$RTR_MSGS_PATH``, in an installed ``share/rtr_msgs/msg`` on
``$AMENT_PREFIX_PATH`` (a colcon workspace) and in the source tree next to this package
(``pip install -e``). Standard types (sensor_msgs, trajectory_msgs, ...) come from the
typestore of the chosen ROS 2 distribution shipped with ``rosbags``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from ..errors import RtrError

#: Our message types, in dependency order.
RTR_MSG_NAMES = ('ActionChunk', 'ExecutorState')

#: ROS 2 distributions whose standard types we build from (same layouts for our types).
DISTROS = {'jazzy': Stores.ROS2_JAZZY, 'humble': Stores.ROS2_HUMBLE}


class MessageDefinitionError(RtrError):
    """The rtr_msgs .msg files cannot be found or parsed."""


def _candidate_dirs() -> list[Path]:
    dirs = []
    if os.environ.get('RTR_MSGS_PATH'):
        dirs.append(Path(os.environ['RTR_MSGS_PATH']))
    for prefix in filter(None, os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep)):
        dirs.append(Path(prefix) / 'share' / 'rtr_msgs' / 'msg')
    dirs.append(Path(__file__).resolve().parents[3] / 'rtr_msgs' / 'msg')
    return dirs


def msg_dir() -> Path:
    """Folder holding ``ActionChunk.msg`` and ``ExecutorState.msg``."""
    tried = _candidate_dirs()
    for folder in tried:
        if (folder / f'{RTR_MSG_NAMES[0]}.msg').is_file():
            return folder
    raise MessageDefinitionError(
        'cannot find the rtr_msgs .msg files; looked in: '
        + ', '.join(str(p) for p in tried)
        + '. Set RTR_MSGS_PATH to the folder holding ActionChunk.msg.'
    )


@functools.cache
def typestore(distro: str = 'jazzy') -> Typestore:
    """A rosbags typestore with the standard types of ``distro`` plus the rtr_msgs types."""
    if distro not in DISTROS:
        raise ValueError(f'unknown ROS 2 distribution {distro!r}; '
                         f'expected one of {sorted(DISTROS)}')
    store = get_typestore(DISTROS[distro])
    folder = msg_dir()
    types = {}
    for name in RTR_MSG_NAMES:
        path = folder / f'{name}.msg'
        try:
            types.update(get_types_from_msg(path.read_text(), f'rtr_msgs/msg/{name}'))
        except Exception as exc:  # rosbags raises several parser error types
            raise MessageDefinitionError(
                f'{path}: cannot parse message definition: {exc}'
            ) from exc
    store.register(types)
    return store
