"""``openpi``: a remote policy served by openpi's websocket policy server (pi0, pi0.5, ...).

The protocol is openpi's (``openpi-client`` on PyPI): on connect the server sends its
metadata, then every request is one msgpack-numpy packed observation dict and every reply one
packed dict with ``actions`` (a text frame is a server-side traceback). This client is
``openpi_client.websocket_client_policy.WebsocketClientPolicy`` with what a robot needs on
top: a connect timeout (a clear error at configure when the server is not there), a reply
timeout, and reconnection with exponential backoff when the connection drops mid-run (no
chunk meanwhile: the executor finishes its plan and holds).

The observation contract maps our inputs to the server's keys (DROID's by default), resizes
the camera frame like openpi's client tools (``image_tools.resize_with_pad``, uint8) and sends
``prompt``; :class:`ActionMapping` says what the reply's rows mean; the server's action rate
is the chunk period.
"""

from __future__ import annotations

import inspect
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from ..chunk import Chunk
from ..config import ConfigError
from ..policy.observation import Observation
from ..policy.rtc import RTCContext
from .actions import ActionMapping
from .base import ChunkSource, ReplyRejected, SourceError, SourceUnavailable
from .latent import decode_latent

log = logging.getLogger('rtr.sources.openpi')


@dataclass(frozen=True)
class OpenpiConfig:
    """Where the server is, which keys it reads, and what its actions mean."""

    host: str = 'localhost'  # or ws://host:port
    port: int = 8000
    api_key: str = ''
    joint_names: tuple[str, ...] = ()  # the chunk's joints, in the server's column order
    prompt: str = ''  # the language instruction, sent under prompt_key
    prompt_key: str = 'prompt'
    image_key: str = 'observation/exterior_image_1_left'  # '' = no camera sent
    image_height: int = 224  # resize_with_pad target (openpi's models take 224x224)
    image_width: int = 224
    blank_image_keys: tuple[str, ...] = ()  # cameras the robot lacks: zero frames
    joint_positions_key: str = 'observation/joint_position'  # '' = not sent
    wrench_key: str = ''  # '' = not sent
    # constant state entries the robot lacks, e.g. observation/gripper_position = 0.0
    extra_state_keys: tuple[str, ...] = ()
    extra_state_values: tuple[float, ...] = ()
    action_key: str = 'actions'
    action_rate_hz: float = 15.0  # the server's action rate: the chunk's period (DROID 15)
    actions: ActionMapping = field(default_factory=ActionMapping)
    connect_timeout: float = 5.0  # s, at configure and for each reconnection attempt
    reply_timeout: float = 5.0  # s; a slower reply closes the connection (then reconnect)
    # s: the reply to the node's warm-up request at configure, which may compile the model
    # (a JAX server's first inference: 10 s and more)
    warm_up_timeout: float = 120.0
    reconnect_min: float = 0.25  # s, first backoff after a lost connection
    reconnect_max: float = 8.0  # s, backoff cap (doubles each failed attempt)

    def __post_init__(self) -> None:
        if self.action_rate_hz <= 0:
            raise ConfigError(f'openpi.action_rate_hz={self.action_rate_hz}: expected > 0')
        for name in ('connect_timeout', 'reply_timeout', 'warm_up_timeout', 'reconnect_min',
                     'reconnect_max'):
            if not getattr(self, name) > 0:
                raise ConfigError(f'openpi.{name}={getattr(self, name)}: expected > 0 s')
        if self.image_key and (self.image_height < 1 or self.image_width < 1):
            raise ConfigError('openpi.image_height/image_width: expected >= 1 pixels')
        if not (self.image_key or self.joint_positions_key or self.wrench_key):
            raise ConfigError('openpi: image_key, joint_positions_key and wrench_key are all '
                              'empty; the server would see no observation')
        if len(self.extra_state_keys) != len(self.extra_state_values):
            raise ConfigError(f'openpi.extra_state_keys ({len(self.extra_state_keys)}) and '
                              f'extra_state_values ({len(self.extra_state_values)}): expected '
                              f'one value per key')
        if self.actions.gripper_joint and self.actions.gripper_joint not in self.joint_names:
            raise ConfigError(f'openpi.actions.gripper_joint={self.actions.gripper_joint!r} is '
                              f'not in openpi.joint_names')

    @property
    def uri(self) -> str:
        host = self.host if self.host.startswith('ws') else f'ws://{self.host}'
        return host if host.count(':') >= 2 else f'{host}:{self.port}'

    @property
    def inputs(self) -> tuple[str, ...]:
        used = {'image': bool(self.image_key), 'wrench': bool(self.wrench_key),
                'joint_positions': bool(self.joint_positions_key)
                or self.actions.mode in ('delta', 'velocity')}
        return tuple(n for n in ('image', 'joint_positions', 'wrench') if used[n])


def _client_modules():
    try:
        import websockets.sync.client as ws_client
        from openpi_client import image_tools, msgpack_numpy
    except ImportError as exc:
        raise SourceError(f'policy source openpi needs openpi-client and websockets ({exc}); '
                          f'install them with pip install -e "rtr_core[openpi]"') from exc
    return ws_client, image_tools, msgpack_numpy


class OpenpiSource(ChunkSource):
    """Connects in the constructor (raises :class:`SourceError` if the server is not there)."""

    kind = 'openpi'

    def __init__(self, config: OpenpiConfig, vae=None, clock=time.monotonic):
        if not config.joint_names:
            raise SourceError('openpi.joint_names: empty; give the joints of the server\'s '
                              'action columns, in order')
        super().__init__(config.joint_names, config.inputs, None)
        self.config = config
        if config.actions.mode == 'latent':
            if vae is None:
                raise SourceError('openpi.actions.mode=latent: the node needs vae_checkpoint '
                                  '(the action VAE the server\'s latents decode with)')
            self.dt = vae.dt
        else:
            self.dt = 1.0 / config.action_rate_hz
        self.vae = vae
        self._ws_client, self._image_tools, self._msgpack = _client_modules()
        self._packer = self._msgpack.Packer()
        self._clock = clock
        self._ws = None
        self._reply_timeout = config.reply_timeout
        self._backoff = config.reconnect_min
        self._next_attempt = 0.0
        self.metadata: dict = {}
        try:
            self._connect()
        except SourceUnavailable as exc:
            raise SourceError(f'openpi server {config.uri} not reachable at configure: '
                              f'{exc.args[0]}; start it (see docs/sources/openpi.md) or fix '
                              f'openpi.host/openpi.port') from exc

    @property
    def name(self) -> str:
        return f'openpi:{self.config.uri}'

    # --- connection ------------------------------------------------------------------------

    def _connect(self) -> None:
        cfg = self.config
        headers = {'Authorization': f'Api-Key {cfg.api_key}'} if cfg.api_key else None
        options = {}
        if 'legacy' in inspect.signature(self._ws_client.connect).parameters:
            options['legacy'] = True  # websockets >= 17: a connection object, not a context
        try:
            ws = self._ws_client.connect(cfg.uri, compression=None, max_size=None,
                                         open_timeout=cfg.connect_timeout,
                                         additional_headers=headers, **options)
        except (OSError, TimeoutError, Exception) as exc:  # refused, DNS, handshake, timeout
            raise SourceUnavailable(f'cannot connect to {cfg.uri}: {exc}') from exc
        try:
            metadata = self._msgpack.unpackb(ws.recv(timeout=cfg.connect_timeout))
        except Exception as exc:
            ws.close()
            raise SourceUnavailable(f'{cfg.uri} sent no metadata after connecting: '
                                    f'{exc}') from exc
        self._ws, self.metadata = ws, metadata
        self._backoff = cfg.reconnect_min

    def _lost(self, reason: str) -> SourceUnavailable:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # already broken
                pass
        self._ws = None
        self._next_attempt = self._clock() + self._backoff
        wait = self._backoff
        self._backoff = min(self._backoff * 2.0, self.config.reconnect_max)
        self.count('connection_lost')
        log.warning('openpi %s: %s; reconnecting in %.2f s', self.config.uri, reason, wait)
        return SourceUnavailable(f'{reason}; reconnecting in {wait:.2f} s')

    def _ensure_connected(self) -> None:
        if self._ws is not None:
            return
        now = self._clock()
        if now < self._next_attempt:
            raise SourceUnavailable(f'openpi server {self.config.uri} unreachable; next '
                                    f'attempt in {self._next_attempt - now:.2f} s')
        try:
            self._connect()
        except SourceUnavailable as exc:
            raise self._lost(exc.args[0]) from exc
        self.count('reconnects')
        log.info('openpi %s: reconnected', self.config.uri)

    def warm_up(self, rtc: bool = False) -> list[float]:
        """As every source's, with ``warm_up_timeout`` for the reply (it may compile)."""
        self._reply_timeout = self.config.warm_up_timeout
        try:
            return super().warm_up(rtc)
        finally:
            self._reply_timeout = self.config.reply_timeout

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None

    # --- one request -----------------------------------------------------------------------

    def request(self, observation: Observation) -> dict:
        """The server's observation dict for ``observation`` (what is sent)."""
        cfg, out = self.config, {}
        if cfg.image_key:
            if observation.image is None:
                raise ReplyRejected('missing_key', 'observation has no image for '
                                    f'{cfg.image_key}')
            img = self._image_tools.convert_to_uint8(np.asarray(observation.image))
            out[cfg.image_key] = self._image_tools.resize_with_pad(
                img, cfg.image_height, cfg.image_width)
        for key in cfg.blank_image_keys:
            out[key] = np.zeros((cfg.image_height, cfg.image_width, 3), dtype=np.uint8)
        if cfg.joint_positions_key:
            out[cfg.joint_positions_key] = np.asarray(observation.joint_positions,
                                                      dtype=np.float64)
        if cfg.wrench_key:
            out[cfg.wrench_key] = np.asarray(observation.wrench, dtype=np.float64)
        for key, value in zip(cfg.extra_state_keys, cfg.extra_state_values, strict=True):
            out[key] = np.asarray([value], dtype=np.float64)
        if cfg.prompt_key:
            out[cfg.prompt_key] = cfg.prompt
        return out

    def _predict(self, observation: Observation, rtc: RTCContext | None) -> Chunk:
        t0 = time.perf_counter()
        self._ensure_connected()
        cfg = self.config
        data = self._packer.pack(self.request(observation))
        try:
            self._ws.send(data)
            reply = self._ws.recv(timeout=self._reply_timeout)
        except TimeoutError as exc:
            # the late reply would answer the next request: drop the connection instead
            raise self._lost(f'no reply within {self._reply_timeout:g} s') from exc
        except Exception as exc:  # ConnectionClosed, OSError
            raise self._lost(f'connection lost: {exc}') from exc
        if isinstance(reply, str):
            self._lost('server error')
            raise ReplyRejected('server_error', f'the server raised: {reply.strip()[-500:]}')
        try:
            reply = self._msgpack.unpackb(reply)
        except Exception as exc:
            raise ReplyRejected('shape', f'reply is not msgpack-numpy: {exc}') from exc
        if not isinstance(reply, dict) or cfg.action_key not in reply:
            keys = sorted(reply) if isinstance(reply, dict) else type(reply).__name__
            raise ReplyRejected('missing_key', f'reply has no {cfg.action_key!r} (got {keys})')
        timing = reply.get('server_timing')
        if isinstance(timing, dict) and 'infer_ms' in timing:
            self.count('server_infer_ms_total', int(round(float(timing['infer_ms']))))
        actions = reply[cfg.action_key]
        if cfg.actions.mode == 'latent':
            positions, latent = decode_latent(self.vae, actions, self.joint_names)
            return self.chunk(observation, positions, self.dt, t0, latent)
        positions = cfg.actions.positions(actions, self.joint_names,
                                          observation.joint_positions, self.dt)
        return self.chunk(observation, positions, self.dt, t0)
