"""A short soak (3 simulated minutes at 60 Hz with random latency) of benchmarks/bench_soak.py;
the hour-long run is the benchmark."""


import pytest


@pytest.fixture(scope='module')
def bench_soak(load_benchmark):
    return load_benchmark('bench_soak')


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
