"""Latency the openpi path adds on localhost: msgpack-numpy serialisation and the websocket
round trip of openpi's protocol, for a 96x96 camera frame and 7 joints (and openpi's usual
224x224 frame), against calling the same policy in-process.

The served policy returns a fixed (48, 7) float32 chunk, so the difference between the
openpi source's ``predict`` and the in-process call is what the path adds: the request dict,
``resize_with_pad`` (a no-op at the size the server takes), packing, the websocket send and
receive through the loopback, unpacking on both sides, the server's dispatch, the reply
checks. A second table serves the committed demo latent policy (its compute included) both
ways. Run: ``.venv/bin/python benchmarks/bench_openpi.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
JOINTS = tuple(f'joint_{i}' for i in range(1, 8))
N = 2000


class Fixed:
    """openpi policy interface; a chunk independent of the observation."""

    def __init__(self):
        self.actions = np.random.default_rng(0).uniform(-1, 1, (48, 7)).astype(np.float32)

    def infer(self, obs):
        return {'actions': self.actions.copy()}


def _stats(seconds) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1e3
    return float(np.median(ms)), float(np.percentile(ms, 95))


def _observation(size):
    from rtr_core.policy import Observation

    rng = np.random.default_rng(1)
    return Observation(stamp=0.0, joint_positions=rng.uniform(-1, 1, 7),
                       image=rng.integers(0, 255, (*size, 3), dtype=np.uint8),
                       wrench=rng.normal(size=6))


def _time(fn, n):
    for _ in range(min(50, n)):  # warm up
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def transport_row(size):
    from openpi_client import msgpack_numpy

    from rtr_core.sources import OpenpiConfig, OpenpiSource
    from rtr_core.sources.openpi_server import PolicyServer

    obs = _observation(size)
    policy = Fixed()
    with PolicyServer(policy) as server:
        source = OpenpiSource(OpenpiConfig(
            host='127.0.0.1', port=server.port, joint_names=JOINTS, image_height=size[0],
            image_width=size[1], action_rate_hz=60.0, prompt='write the shape'))
        request = source.request(obs)
        packer = msgpack_numpy.Packer()
        reply = packer.pack(policy.infer(request))
        serialise = _time(lambda: msgpack_numpy.unpackb(packer.pack(request)), N)
        deserialise = _time(lambda: msgpack_numpy.unpackb(reply), N)
        direct = _time(lambda: policy.infer(request), N)
        remote = _time(lambda: source.predict(obs), N)
        source.close()
    added = np.asarray(remote) - np.median(direct)
    return (f'{size[0]}x{size[1]}', len(packer.pack(request)), _stats(serialise),
            _stats(deserialise), _stats(direct), _stats(remote), _stats(added))


def policy_rows():
    import torch

    from rtr_core.policy import Policy
    from rtr_core.sources import OpenpiConfig, OpenpiSource, RtrSource
    from rtr_core.sources.openpi_server import PolicyServer, RtrOpenpiPolicy

    torch.set_num_threads(1)
    policy = Policy.load(ROOT / 'checkpoints' / 'demo' / 'latent_60hz.pt')
    obs = _observation((96, 96))
    direct = RtrSource(policy)
    with PolicyServer(RtrOpenpiPolicy(policy)) as server:
        source = OpenpiSource(OpenpiConfig(
            host='127.0.0.1', port=server.port, joint_names=JOINTS, image_height=96,
            image_width=96, wrench_key='observation/wrench', action_rate_hz=60.0))
        n = 200
        d = _time(lambda: direct.predict(obs), n)
        r = _time(lambda: source.predict(obs), n)
        source.close()
    return _stats(d), _stats(r)


def main() -> None:
    print('### Transport only (the served policy returns a fixed chunk; 2,000 requests)\n')
    print('| image | request bytes | pack+unpack request ms (p50 / p95) | unpack reply ms | '
          'in-process call ms | openpi source predict ms | added by the openpi path ms |')
    print('|---|---|---|---|---|---|---|')
    for size in ((96, 96), (224, 224)):
        size, nbytes, ser, des, direct, remote, added = transport_row(size)
        print(f'| {size} | {nbytes:,} | {ser[0]:.3f} / {ser[1]:.3f} | {des[0]:.3f} / '
              f'{des[1]:.3f} | {direct[0]:.4f} / {direct[1]:.4f} | {remote[0]:.3f} / '
              f'{remote[1]:.3f} | {added[0]:.3f} / {added[1]:.3f} |')
    d, r = policy_rows()
    print('\n### The demo latent policy (checkpoints/demo/latent_60hz.pt, one torch thread, '
          '96x96 image, 7 joints, wrench; 200 requests)\n')
    print('| path | predict ms p50 | p95 |')
    print('|---|---|---|')
    print(f'| rtr source (in-process) | {d[0]:.2f} | {d[1]:.2f} |')
    print(f'| openpi source -> localhost server | {r[0]:.2f} | {r[1]:.2f} |')
    print(f'| difference of the medians | {r[0] - d[0]:.2f} | |')


if __name__ == '__main__':
    main()
