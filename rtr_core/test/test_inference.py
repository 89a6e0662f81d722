"""Inference worker + real ChunkExecutor on the wall clock: triggers, no bursts, stale inputs."""

import dataclasses
import threading
import time

import numpy as np

from rtr_core.chunk import Chunk
from rtr_core.executor.config import ExecutorConfig
from rtr_core.executor.executor import ChunkExecutor
from rtr_core.inference import InferenceWorker, LatestInputs

JOINTS = tuple(f'joint_{i}' for i in range(1, 8))
DT = 1 / 60


def ramp_policy(observation, rtc):
    """A simple policy: keep moving joint 1 forward at 0.3 rad/s from where the robot is."""
    time.sleep(0.03)  # inference takes time
    start = observation.joint_positions
    steps = np.arange(1, 49)[:, None] * DT
    positions = start + steps * np.r_[0.3, np.zeros(6)]
    return Chunk(observation.stamp, observation.stamp + DT, DT, JOINTS, positions,
                 inference_duration=0.03)


def test_inputs_report_missing_and_stale_and_match_joints_by_name():
    inputs = LatestInputs(JOINTS, ('image', 'joint_positions'))
    obs, why = inputs.observation(1.0, 0.5)
    assert obs is None and 'no image' in why
    inputs.put_image(0.9, np.zeros((4, 4, 3), np.uint8))
    inputs.put_joint_state(0.95, tuple(reversed(JOINTS)) + ('gripper',), list(range(8)))
    obs, why = inputs.observation(1.0, 0.5)
    assert why == '' and obs.stamp == 0.95 and obs.image_stamp == 0.9
    np.testing.assert_array_equal(obs.joint_positions, [6, 5, 4, 3, 2, 1, 0])
    obs, why = inputs.observation(1.6, 0.5)
    assert obs is None and 'image is 700 ms old' in why
    inputs.put_image(1.0, np.zeros((4, 4, 3), np.uint8))
    inputs.put_image(1.1, np.zeros((4, 4, 3), np.uint8))
    assert inputs.dropped['image'] == 1


def run(worker_kwargs, seconds, feed_images_until=None):
    executor = ChunkExecutor(ExecutorConfig(strategy='naive'))
    clock = time.monotonic
    inputs = LatestInputs(JOINTS, ('image', 'joint_positions'))
    published = []
    confirmed_before_next = []

    def publish(chunk):
        state = executor.state()
        confirmed_before_next.append(state.last_received_chunk_id == chunk.chunk_id - 1)
        published.append(chunk)
        threading.Timer(0.02, lambda: executor.receive(chunk, clock())).start()  # network

    worker = InferenceWorker(ramp_policy, inputs, publish, clock, **worker_kwargs).start()
    t0 = clock()
    executor.start(np.zeros(7), t0)
    positions = []
    try:
        while clock() - t0 < seconds:
            now = clock()
            if feed_images_until is None or now - t0 < feed_images_until:
                inputs.put_image(now, np.zeros((8, 8, 3), np.uint8))
            result = executor.tick(now)
            inputs.put_joint_state(now, JOINTS, result.position)
            positions.append(result.position[0])
            worker.on_executor_state(executor.state())
            time.sleep(DT)
    finally:
        worker.stop()
    return executor, worker, published, confirmed_before_next, np.array(positions)


def test_worker_keeps_the_executor_supplied_without_bursts():
    executor, worker, published, confirmed, positions = run({'stale_after': 0.5}, 2.0)
    assert len(published) >= 3
    assert [c.chunk_id for c in published] == list(range(1, len(published) + 1))
    assert all(confirmed), 'never a new chunk before the executor got the previous one'
    assert executor.state().chunks_accepted >= len(published) - 1
    stats = worker.stats()
    assert stats.chunks == len(published) and stats.failed == 0
    assert 30 <= stats.latency_p50_ms < 500
    assert positions[-1] > 0.2, 'the arm kept moving under asynchronous inference'


def test_stale_image_stops_inference_with_a_reason_then_resumes():
    _, worker, published, _, _ = run({'stale_after': 0.2}, 1.5, feed_images_until=0.5)
    stats = worker.stats()
    assert stats.skipped >= 1
    assert 'image is' in stats.last_problem and 'old' in stats.last_problem
    assert all(c.stamp - published[0].stamp < 1.0 for c in published)


def _run_worker(executor, seconds, predict=ramp_policy, deliver=None, on_tick=None):
    """A worker beside ``executor`` for ``seconds`` on the wall clock, as the nodes run them:
    the executor ticks and the worker is fed images, joint states and executor states; its
    chunks reach the executor 20 ms after publishing, unless ``deliver`` says no (a lost
    message). ``on_tick(elapsed, worker, published)`` runs after every tick. Returns the stopped
    worker and the chunks it published."""
    inputs = LatestInputs(JOINTS, ('image', 'joint_positions'))
    published = []

    def publish(chunk):
        published.append(chunk)
        if deliver is None or deliver(chunk):
            threading.Timer(0.02, lambda: executor.receive(chunk, time.monotonic())).start()

    worker = InferenceWorker(predict, inputs, publish, time.monotonic)
    executor.start(np.zeros(7), time.monotonic())
    worker.start()
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            now = time.monotonic()
            inputs.put_image(now, np.zeros((8, 8, 3), np.uint8))
            result = executor.tick(now)
            if result.position is not None:
                inputs.put_joint_state(now, JOINTS, result.position)
            worker.on_executor_state(executor.state())
            if on_tick is not None:
                on_tick(now - t0, worker, published)
            time.sleep(DT)
    finally:
        worker.stop()
    return worker, published


def test_a_rejected_chunk_does_not_lock_inference_up():
    """Issue 14.1: chunk 1 is rejected (stale, as after a slow warm-up); the executor names
    it in last_rejected_chunk_id and the worker infers again at once."""
    executor = ChunkExecutor(ExecutorConfig(strategy='naive'))
    calls = []

    def stale_first(observation, rtc):
        calls.append(observation.stamp)
        chunk = ramp_policy(observation, rtc)
        if len(calls) == 1:  # the whole chunk lies 2 s in the past
            return dataclasses.replace(chunk, stamp=chunk.stamp - 2.0,
                                       start_time=chunk.start_time - 2.0)
        return chunk

    worker, published = _run_worker(executor, 1.2, stale_first)
    state = executor.state()
    assert len(published) >= 3, 'inference went on after the rejection'
    assert state.chunks_accepted >= 2
    assert executor.rejections()['stale'] == 1 and state.last_rejected_chunk_id == 1
    assert worker.stats().rejected == 1


def test_a_lost_chunk_does_not_lock_inference_up():
    """Issue 14.1: chunk 2 never reaches the executor (lost during discovery); the worker
    gives up waiting after a timeout derived from the measured round trip."""
    executor = ChunkExecutor(ExecutorConfig(strategy='naive'))
    worker, published = _run_worker(executor, 2.0, deliver=lambda c: c.chunk_id != 2)
    assert len(published) >= 4, [c.chunk_id for c in published]
    assert executor.state().chunks_accepted >= 3
    stats = worker.stats()
    assert stats.unconfirmed == 1 and stats.rejected == 0


def test_executor_reset_does_not_lock_inference_up():
    """Issue 14.1: re-activating the executor resets its counters (last_received_chunk_id
    goes back to 0); the worker must not wait for them to catch up with its ids."""
    executor = ChunkExecutor(ExecutorConfig(strategy='naive'))
    before = []

    def reactivate(elapsed, worker, published):
        if elapsed > 0.7 and not before:
            before.append(len(published))
            executor.reset()
            executor.start(np.zeros(7), time.monotonic())

    _, published = _run_worker(executor, 1.6, on_tick=reactivate)
    assert before and before[0] >= 2
    assert len(published) >= before[0] + 2, 'inference went on after the reset'
    assert executor.state().chunks_accepted >= 1


def test_a_policy_that_raises_is_counted_reported_and_survived(caplog):
    """Issue 14.2: any exception in predict (CUDA out of memory, a bug in a user's policy)
    used to end the worker thread while diagnostics said OK."""
    from rtr_core.diagnostics import ERROR, policy_diagnostics

    executor = ChunkExecutor(ExecutorConfig(strategy='naive'))
    calls, levels = [], []

    def flaky(observation, rtc):
        calls.append(1)
        if len(calls) in (2, 3):
            raise MemoryError('CUDA out of memory') if len(calls) == 2 else KeyError('bug')
        return ramp_policy(observation, rtc)

    def watch(elapsed, worker, published):
        levels.append(policy_diagnostics(worker.stats())[0])

    with caplog.at_level('ERROR', logger='rtr.inference'):
        worker, published = _run_worker(executor, 1.5, flaky, on_tick=watch)
    stats = worker.stats()
    assert stats.failed == 2 and stats.failing == 0
    assert len(published) >= 3, 'inference went on after the failures'
    assert ERROR in levels and levels[-1] != ERROR
    assert 'MemoryError' in caplog.text and 'Traceback' in caplog.text


def test_confirmation_timeout_follows_the_measured_round_trip(executor_state):
    from rtr_core.inference.confirmation import Confirmation

    def state(received=0, rejected=0, accepted=7, rejected_count=0):
        return dataclasses.replace(executor_state, last_received_chunk_id=received,
                                   last_rejected_chunk_id=rejected, chunks_accepted=accepted,
                                   chunks_rejected=rejected_count)

    c = Confirmation(floor=0.25, factor=2.0)
    assert c.timeout() == 0.25, 'the floor before anything was measured'
    for i in range(1, 21):  # accepted 0.3 s after sending
        c.sent(i, 10.0 * i)
        assert c.waiting(state(i - 1), 10.0 * i + 0.1)
        assert not c.waiting(state(i), 10.0 * i + 0.3)
    assert abs(c.timeout() - 0.6) < 1e-9 and c.accepted == 20
    c.sent(21, 300.0)
    assert c.waiting(state(20), 300.5)
    assert not c.waiting(state(20), 300.61) and c.unconfirmed == 1, 'lost: given up'
    c.sent(22, 301.0)
    assert not c.waiting(state(20, rejected=22, rejected_count=1), 301.05) and c.rejected == 1
    c.sent(23, 302.0)
    assert not c.waiting(state(0, accepted=0), 302.05) and c.resets == 1, 'executor reset'
    c.sent(24, 303.0)
    assert not c.waiting(state(0, accepted=0), 200.0) and c.resets == 2, 'clock went back'
