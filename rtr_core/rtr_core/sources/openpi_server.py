"""openpi's websocket policy server protocol, served from this process, and an rtr checkpoint
behind openpi's policy interface (``infer(obs) -> {'actions': ...}``).

What it is for: trying the ``openpi`` source without a GPU machine (``rtr serve openpi``),
the end-to-end test, and the latency benchmark. The protocol is the one openpi's
``WebsocketPolicyServer`` speaks and ``openpi_client.WebsocketClientPolicy`` expects: after
the handshake the server sends its metadata (msgpack-numpy), then answers each packed
observation with the packed action dict (plus ``server_timing.infer_ms``); an exception in
the policy is sent as a text frame with the traceback and the connection is closed with code
1011. One connection at a time is served, in order, like openpi's server.
"""

from __future__ import annotations

import asyncio
import threading
import time
import traceback

import numpy as np

from ..images import fit_image
from ..policy.observation import Observation
from .base import SourceError


class PolicyServer:
    """``policy.infer`` served on ``host:port`` in a background thread (port 0: any free)."""

    def __init__(self, policy, host: str = '127.0.0.1', port: int = 0,
                 metadata: dict | None = None):
        try:
            import websockets.asyncio.server  # noqa: F401
            from openpi_client import msgpack_numpy  # noqa: F401
        except ImportError as exc:
            raise SourceError(f'serving openpi needs openpi-client and websockets ({exc}); '
                              f'pip install -e "rtr_core[openpi]"') from exc
        self.policy = policy
        self.host = host
        self.port = port
        self.metadata = dict(metadata or {})
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name='openpi-server', daemon=True)
        self.connections = 0

    def start(self) -> PolicyServer:
        self._thread.start()
        self._ready.wait(10.0)
        if self._error is not None:
            raise SourceError(f'openpi server on {self.host}:{self.port}: {self._error}')
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5.0)

    def __enter__(self) -> PolicyServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        asyncio.run(self._serve())

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        import websockets.asyncio.server as server

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with server.serve(self._handler, self.host, self.port, compression=None,
                                max_size=None) as srv:
            self.port = srv.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handler(self, websocket) -> None:
        import websockets
        from openpi_client import msgpack_numpy

        self.connections += 1
        packer = msgpack_numpy.Packer()
        await websocket.send(packer.pack(self.metadata))
        while True:
            try:
                obs = msgpack_numpy.unpackb(await websocket.recv())
                t0 = time.monotonic()
                action = self.policy.infer(obs)
                action['server_timing'] = {'infer_ms': (time.monotonic() - t0) * 1e3}
                await websocket.send(packer.pack(action))
            except websockets.ConnectionClosed:
                return
            except Exception:
                await websocket.send(traceback.format_exc())
                await websocket.close(code=1011, reason='Internal server error. Traceback '
                                      'included in previous frame.')
                return


class RtrOpenpiPolicy:
    """An rtr :class:`~rtr_core.policy.Policy` behind openpi's policy interface.

    It reads the openpi observation keys (DROID-like names by default), fits the image to the
    checkpoint's size and answers ``{'actions': (H, J) absolute positions}``, or the VAE latent
    (``latent=True``, latent policies only) for the latent-remote path.
    """

    def __init__(self, policy, image_key: str = 'observation/exterior_image_1_left',
                 joint_positions_key: str = 'observation/joint_position',
                 wrench_key: str = 'observation/wrench', latent: bool = False,
                 seed: int | None = None):
        self.policy = policy
        self.keys = {'image': image_key, 'joint_positions': joint_positions_key,
                     'wrench': wrench_key}
        self.latent = latent
        if latent and policy.vae is None:
            raise SourceError(f'{policy.name}: latent=True needs a latent policy')
        self._seed = seed
        self._calls = 0

    def infer(self, obs: dict) -> dict:
        c = self.policy.contract
        fields = {}
        for name in c.inputs:
            key = self.keys[name]
            if key not in obs:
                raise KeyError(f'observation has no {key!r} (keys {sorted(obs)})')
            value = np.asarray(obs[key])
            if name == 'image':
                value = fit_image(value, c.image.height, c.image.width)
            fields[name] = value
        seed = None if self._seed is None else self._seed + self._calls  # as RtrSource
        self._calls += 1
        chunk = self.policy.predict(Observation(stamp=0.0, **fields), seed=seed)
        if self.latent:
            return {'actions': np.asarray(chunk.latent, dtype=np.float32)}
        return {'actions': np.asarray(chunk.positions, dtype=np.float32)}

    def reset(self) -> None:
        self._calls = 0
