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

#: Frame size of a warm-up's blank image when the source takes frames as received.
BLANK_IMAGE_SIZE = (224, 224)


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

    def blank_observation(self, stamp: float = 0.0) -> Observation:
        """Zeros for every input the source reads (the image at ``image_size``, else
        :data:`BLANK_IMAGE_SIZE`): what :meth:`warm_up` predicts from."""
        height, width = self.image_size or BLANK_IMAGE_SIZE
        wants = set(self.inputs)
        return Observation(
            stamp=stamp,
            joint_positions=np.zeros(len(self.joint_names)) if 'joint_positions' in wants
            else None,
            image=np.zeros((height, width, 3), dtype=np.uint8) if 'image' in wants else None,
            wrench=np.zeros(6) if 'wrench' in wants else None)

    def warm_up(self, rtc: bool = False) -> list[float]:
        """Predict from :meth:`blank_observation` and drop the chunk, so that the first real
        chunk does not pay for first calls: a JAX server's compilation (openpi's pi0: 10 s
        and more, longer than a reply may take) or torch's lazy set-up (~25 ms here). With
        ``rtc`` (and a source that supports it) a second call is guided by the first chunk,
        as every chunk after the first will be.

        The source is left as it was: nothing counted, and :meth:`reset` called, so a seeded
        source samples its first chunk as without a warm-up. Returns each call's seconds;
        raises :class:`SourceError` when the source cannot answer."""
        with self._lock:
            counters, rejected, last = (Counter(self._counters), Counter(self._rejected),
                                        self._last_rejection)
        seconds, chunk = [], None
        try:
            for guided in (False, True) if rtc and self.supports_rtc else (False,):
                stamp, context = 0.0, None
                if guided:  # the next observation, one action later, as the worker guides it
                    stamp = chunk.dt
                    context = RTCContext.from_chunk(chunk, stamp + chunk.dt, chunk.dt, 1)
                t0 = time.perf_counter()
                chunk = self._predict(self.blank_observation(stamp), context)
                seconds.append(time.perf_counter() - t0)
        finally:
            with self._lock:
                self._counters, self._rejected, self._last_rejection = counters, rejected, last
            self.reset()
        return seconds

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
