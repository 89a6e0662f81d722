"""``rtr serve openpi``: a committed demo checkpoint served in its own process, reached by the
policy node's openpi source over the loopback."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rtr_core.policy import Observation

pytest.importorskip('openpi_client', reason='openpi-client not installed (make setup)')

DEMO = Path(__file__).resolve().parents[2] / 'checkpoints' / 'demo'


@pytest.mark.slow  # a second Python process importing torch
def test_serve_openpi_answers_the_openpi_source():
    from rtr_core.sources import OpenpiConfig, OpenpiSource, SourceError

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, '-m', 'rtr_bringup.cli.main', 'serve', 'openpi',
                             '--policy', str(DEMO / 'action_60hz.pt'), '--host', '127.0.0.1',
                             '--port', str(port), '--threads', '1'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        config = OpenpiConfig(host='127.0.0.1', port=port, joint_names=tuple(
            f'joint_{i}' for i in range(1, 8)), image_height=96, image_width=96,
            wrench_key='observation/wrench', action_rate_hz=60.0, connect_timeout=1.0)
        deadline = time.monotonic() + 180  # a loaded 2-core machine imports torch slowly
        while True:
            try:
                source = OpenpiSource(config)
                break
            except SourceError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, 'rtr serve openpi did not come up'
                time.sleep(0.5)
        assert source.metadata['policy'] == 'action_diffusion'
        assert source.metadata['joint_names'] == list(config.joint_names)
        rng = np.random.default_rng(0)
        chunk = source.predict(Observation(
            stamp=3.0, joint_positions=np.zeros(7), wrench=np.zeros(6),
            image=rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)))
        assert chunk.positions.shape == (48, 7) and np.all(np.isfinite(chunk.positions))
        source.close()
    finally:
        proc.terminate()
        proc.wait(10)
