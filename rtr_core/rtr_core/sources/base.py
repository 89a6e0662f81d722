"""One interface for every chunk source: ``predict(observation, rtc) -> Chunk``.

The inference worker (trigger, staleness, latency statistics) runs any source the same way.
A source stamps each chunk with the *observation's* time, whatever the reply took, so the
executor aligns a late chunk by that stamp and never executes actions whose time has passed.
Replies that cannot be executed (wrong shape, NaN) are rejected here, counted by kind and
named in the node's diagnostics; they never reach the executor.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import numpy as np

from ..chunk import Chunk
from ..errors import RtrError
from ..policy.observation import Observation
from ..policy.rtc import RTCContext

#: Rejection kinds a source counts (beside the executor's own).
REJECTIONS = ('shape', 'non_finite', 'missing_key', 'server_error')


class SourceError(RtrError):
    """A source that cannot be set up (names the parameter, server or entry point)."""


class SourceUnavailable(SourceError):
    """The source cannot answer now (server unreachable, reconnecting); no chunk this time."""


class ReplyRejected(SourceError):
    """A reply that is not an executable chunk; ``kind`` is one of :data:`REJECTIONS`."""

    def __init__(self, kind: str, reason: str):
        super().__init__(f'{kind}: {reason}')
        self.kind = kind
        self.reason = reason


class ChunkSource:
    """Base of the chunk sources: joint names, inputs, counters.

    Subclasses implement :meth:`_predict`. ``inputs`` are the observation fields the source
    needs (``image``, ``joint_positions``, ``wrench``); ``image_size`` is (height, width) the
    node fits camera frames to, or None to pass them as received (the source resizes).
    """

    kind = ''
    supports_rtc = False

    def __init__(self, joint_names, inputs, image_size: tuple[int, int] | None = None):
        self.joint_names = tuple(joint_names)
        self.inputs = tuple(inputs)
        self.image_size = image_size
        self._lock = threading.Lock()
        self._rejected: Counter[str] = Counter()
        self._last_rejection = ''
        self._counters: Counter[str] = Counter()

    # --- what subclasses implement ---------------------------------------------------------

    def _predict(self, observation: Observation, rtc: RTCContext | None) -> Chunk:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self.kind

    @property
    def version(self) -> str:
        return ''

    def close(self) -> None:
        """Release connections; the source is not used afterwards."""

    def reset(self) -> None:
        """A new episode starts (openpi's ``BasePolicy.reset``); stateless sources ignore it."""

    # --- the interface ---------------------------------------------------------------------

    def predict(self, observation: Observation, rtc: RTCContext | None = None) -> Chunk:
        """The chunk planned from ``observation``; raises :class:`SourceError` (an RtrError,
        which the inference worker counts and logs) when there is none."""
        if rtc is not None and not self.supports_rtc:
            rtc = None
        try:
            return self._predict(observation, rtc)
        except ReplyRejected as exc:
            with self._lock:
                self._rejected[exc.kind] += 1
                self._last_rejection = str(exc)
            raise

    def stats(self) -> dict[str, str]:
        """Counters for diagnostics: rejected replies by kind, the last rejection, and
        source-specific counters (reconnects, server time)."""
        with self._lock:
            out = {f'rejected_{k}': str(self._rejected[k]) for k in REJECTIONS}
            out['rejected_replies'] = str(sum(self._rejected.values()))
            out['last_rejection'] = self._last_rejection
            out.update({k: str(v) for k, v in sorted(self._counters.items())})
        return out

    def rejected(self) -> dict[str, int]:
        with self._lock:
            return dict(self._rejected)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counters[name] += n

    # --- helpers ---------------------------------------------------------------------------

    def chunk(self, observation: Observation, positions: np.ndarray, dt: float, t0: float,
              latent: np.ndarray | None = None) -> Chunk:
        """A chunk of ``positions`` (H, J): action ``i`` for ``stamp + (i + 1) * dt``."""
        positions = check_actions(positions, len(self.joint_names), 'positions')
        return Chunk(stamp=float(observation.stamp),
                     start_time=float(observation.stamp) + dt, dt=float(dt),
                     joint_names=self.joint_names, positions=positions,
                     latent=None if latent is None else np.asarray(latent, dtype=np.float64),
                     policy_name=self.name, policy_version=self.version,
                     inference_duration=time.perf_counter() - t0)


def check_actions(value, columns: int | None, what: str, rows: int | None = None
                  ) -> np.ndarray:
    """``value`` as a finite float (N, columns) array, else :class:`ReplyRejected`."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ReplyRejected('shape', f'{what}: not a numeric array ({exc})') from exc
    want = f'({"N >= 1" if rows is None else rows}, {"D" if columns is None else columns})'
    if a.ndim != 2 or a.shape[0] < 1 or (columns is not None and a.shape[1] != columns) or \
            (rows is not None and a.shape[0] != rows):
        raise ReplyRejected('shape', f'{what}: expected shape {want}, got {a.shape}')
    if not np.all(np.isfinite(a)):
        raise ReplyRejected('non_finite', f'{what}: contains NaN or inf')
    return a
