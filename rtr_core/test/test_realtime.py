import threading
import time

from rtr_core.realtime import PeriodicLoop


def test_loop_runs_at_its_period_without_drift():
    calls = []
    loop = PeriodicLoop(0.01, lambda: calls.append(time.monotonic())).start()
    time.sleep(0.5)
    loop.stop()
    assert not loop.running and loop.error is None
    # ~50 calls in 0.5 s; absolute deadlines keep the count from drifting low
    assert 25 <= len(calls) <= 52
    stats = loop.stats()
    assert stats.ticks == len(calls)


def test_overrun_skips_missed_deadlines_instead_of_bursting():
    calls = []

    def slow():
        calls.append(time.monotonic())
        if len(calls) == 3:
            time.sleep(0.055)  # misses 5 deadlines of 10 ms

    loop = PeriodicLoop(0.01, slow).start()
    time.sleep(0.2)
    loop.stop()
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert loop.stats().overruns >= 4
    assert min(gaps[3:]) > 0.002, 'no burst of back-to-back calls after the overrun'


def test_an_exception_stops_the_loop_and_is_kept():
    done = threading.Event()

    def boom():
        done.set()
        raise RuntimeError('sensor gone')

    loop = PeriodicLoop(0.01, boom).start()
    assert done.wait(1.0)
    time.sleep(0.05)
    assert not loop.running and isinstance(loop.error, RuntimeError)
