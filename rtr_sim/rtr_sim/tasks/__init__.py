"""Tasks with a success measure and a reference path, chosen by name."""

from rtr_core.errors import RtrError

from .base import Episode, EpisodeTrace, Task, TaskResult
from .wipe import WipeConfig, WipeTask
from .write import WriteConfig, WriteTask

TASKS = {'write': WriteTask, 'wipe': WipeTask}


def make_task(name: str, config=None) -> Task:
    """The task called ``name`` (``write`` or ``wipe``) with its config (default if None)."""
    if name not in TASKS:
        raise RtrError(f'unknown task {name!r}; expected one of {", ".join(sorted(TASKS))}')
    return TASKS[name](config)


__all__ = ['TASKS', 'Episode', 'EpisodeTrace', 'Task', 'TaskResult', 'WipeConfig', 'WipeTask',
           'WriteConfig', 'WriteTask', 'make_task']
