"""What the 60 Hz loop does when its step raises: brake smoothly, say so, keep trying.

Without it the loop thread ends, no window follows the last one and the controller stops
the arm abruptly where that window ends. With it, the first failure of a streak sends the
executor's hold (one window that decelerates within the limits and stays), every failure
is counted by the loop (diagnostics report ERROR while it fails) and logged with its
traceback, at most every ``log_every`` seconds; the next tick that works goes on from the
hold, so a passing fault costs a smooth stop, never a jerk.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from ..trajectory import TrajectoryWindow
from .executor import ChunkExecutor

log = logging.getLogger('rtr.executor')


class FailSafe:
    def __init__(self, executor: ChunkExecutor, clock: Callable[[], float],
                 send: Callable[[TrajectoryWindow], None], log_every: float = 5.0):
        self._executor = executor
        self._clock = clock
        self._send = send
        self._log_every = log_every
        self._logged_at = -math.inf
        self._unlogged = 0
        self.holds = 0  # hold windows sent

    def __call__(self, exc: Exception, failing: int) -> None:
        """``failing``: consecutive failed steps including this one (1: a new streak)."""
        now = time.monotonic()
        if now - self._logged_at >= self._log_every:
            more = f' ({self._unlogged} more since the last report)' if self._unlogged else ''
            log.error('control tick failed (%d in a row)%s; holding: %s: %s', failing, more,
                      type(exc).__name__, exc, exc_info=exc)
            self._logged_at, self._unlogged = now, 0
        else:
            self._unlogged += 1
        if failing != 1:  # the hold of this streak was sent: resending would restart it
            return
        window = self._executor.hold(self._clock())
        if window is not None:
            self._send(window)
            self.holds += 1
