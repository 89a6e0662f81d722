"""A short soak (3 simulated minutes at 60 Hz with random latency) of benchmarks/bench_soak.py;
the hour-long run is the benchmark."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / 'benchmarks' / 'bench_soak.py'


@pytest.fixture(scope='module')
def bench_soak():
    if 'bench_soak' not in sys.modules:
        spec = importlib.util.spec_from_file_location('bench_soak', BENCH)
        module = importlib.util.module_from_spec(spec)
        sys.modules['bench_soak'] = module
        spec.loader.exec_module(module)
    return sys.modules['bench_soak']


def test_short_soak_keeps_the_timeline_and_memory(bench_soak):
    r = bench_soak.run_soak(ticks=3 * 3600, seed=1, sample_every=1800)
    assert r.drift_ticks == 0  # every tick executed at the clock's tick
    assert r.accepted > 300 and r.rejected == 0
    assert r.memory_growth_mb < 5.0, [s['rss_mb'] for s in r.samples]
    # the executor does not fall behind the reference: deviation stays at its level
    deviations = [s['deviation_mrad'] for s in r.samples]
    assert max(deviations[1:]) <= 1.5 * deviations[0] + 1.0, deviations
    # holding only at the start (before the first chunk), never later
    assert r.holding_ticks < 60
