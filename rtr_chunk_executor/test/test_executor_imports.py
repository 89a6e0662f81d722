"""A robot PC running a baseline strategy needs neither torch nor rosbags (issue 14, item 8)."""

import subprocess
import sys

import pytest

SCRIPT = """
import sys
import numpy as np
from rtr_chunk_executor.config import ExecutorNodeConfig, build_executor
from rtr_core.chunk import Chunk
from rtr_core.config import unflatten
from rtr_core.diagnostics import executor_diagnostics
from rtr_core.msgs import executor_state_to_msg, chunk_from_msg

ex = build_executor(unflatten(ExecutorNodeConfig, {'executor.strategy': STRATEGY}))
ex.start(np.zeros(7), 0.0)
names = ex.config.joint_names
ex.receive(Chunk(0.0, 1 / 60, 1 / 60, names, np.zeros((48, 7)), 1), 0.0)
result = ex.tick(1 / 60)
assert result.window is not None and ex.state().chunks_accepted == 1
print(sorted(m for m in ('torch', 'rosbags') if m in sys.modules))
"""


@pytest.mark.parametrize('strategy', ['naive', 'sync', 'weighted_average', 'crossfade',
                                      'temporal_ensemble'])
def test_a_baseline_executor_imports_neither_torch_nor_rosbags(strategy):
    out = subprocess.run([sys.executable, '-c', SCRIPT.replace('STRATEGY', repr(strategy))],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '[]', out.stdout
