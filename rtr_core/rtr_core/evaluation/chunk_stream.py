"""A recorded ActionChunk stream from a reference trajectory under a latency model.

Stands in for a policy when a real one is not the point: chunk n is what a policy would
predict from an observation at ``stamp``: the reference over the chunk's time window plus a
smooth prediction error (offset, drift along the chunk and a slow wobble per joint, drawn
afresh per chunk, growing towards the chunk's end as real predictions do). Observations
are taken by the executor's trigger rule; each chunk arrives ``latency`` seconds after its
observation (drawn per chunk). The result is written as a real rosbag2 with the chunks on
``/rtr/action_chunk`` at their arrival times and the reference on ``/rtr/reference``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..bag import BagWriter
from ..chunk import Chunk
from ..executor.config import TriggerConfig
from ..executor.trigger import Trigger
from ..msgs import chunk_to_msg, joint_state_to_msg

CHUNK_TOPIC = '/rtr/action_chunk'
REFERENCE_TOPIC = '/rtr/reference'


@dataclass(frozen=True)
class StreamConfig:
    horizon: int = 48
    dt: float = 1.0 / 60.0
    latency: tuple[float, float] = (0.1, 0.4)  # seconds, uniform per chunk
    trigger: TriggerConfig = field(default_factory=TriggerConfig)
    error: float = 0.01  # scale of the prediction error (joint units)
    growth: float = 1.0  # extra error at the chunk's end, in units of ``error``
    seed: int = 0


@dataclass(frozen=True)
class RecordedChunk:
    arrival: float
    chunk: Chunk


def _sample(t_ref: np.ndarray, q_ref: np.ndarray, times: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(times, t_ref, q_ref[:, j]) for j in range(q_ref.shape[1])])


def _error(rng: np.random.Generator, h: int, joints: int, cfg: StreamConfig) -> np.ndarray:
    s = np.arange(h)[:, None] / h
    t = np.arange(h)[:, None] * cfg.dt
    offset = rng.normal(0.0, cfg.error, joints)
    drift = rng.normal(0.0, cfg.error * cfg.growth, joints)
    freq = rng.uniform(0.5, 1.5, joints)
    phase = rng.uniform(0.0, 2 * np.pi, joints)
    wobble = rng.normal(0.0, cfg.error / 2, joints)
    return offset + drift * s + wobble * (np.sin(2 * np.pi * freq * t + phase) - np.sin(phase))


def predicted_stream(t_ref: np.ndarray, q_ref: np.ndarray, joint_names, config=None,
                     policy_name: str = 'reference+error') -> list[RecordedChunk]:
    """Chunks predicted from ``q_ref`` (T, J) at times ``t_ref`` until the reference ends."""
    cfg = config or StreamConfig()
    rng = np.random.default_rng(cfg.seed)
    trigger = Trigger(cfg.trigger)
    dt, h = cfg.dt, cfg.horizon
    first, last = int(np.ceil(t_ref[0] / dt - 1e-9)), int(np.floor(t_ref[-1] / dt + 1e-9))
    out: list[RecordedChunk] = []
    busy_until, plan_end = -np.inf, None
    for k in range(first, last):
        now = k * dt
        arrived = [c for c in out if c.arrival <= now]
        if arrived:
            plan_end = arrived[-1].chunk.start_time + (h - 1) * dt
        left = 0 if plan_end is None else max(0, int(round((plan_end - now) / dt)))
        if not trigger.should_start(left, busy=now < busy_until, received_any=bool(arrived)):
            continue
        latency = float(rng.uniform(*cfg.latency))
        start = now + dt
        times = start + dt * np.arange(h)
        positions = _sample(t_ref, q_ref, times) + _error(rng, h, q_ref.shape[1], cfg)
        chunk = Chunk(now, start, dt, tuple(joint_names), positions, len(out) + 1,
                      policy_name=policy_name, inference_duration=latency)
        out.append(RecordedChunk(now + latency, chunk))
        busy_until = now + latency
    return out


def write_stream_bag(path: str | Path, stream: list[RecordedChunk], t_ref: np.ndarray,
                     q_ref: np.ndarray, joint_names, storage: str = 'mcap') -> Path:
    """The stream as a rosbag2: chunks at their arrival times, the reference as JointState."""
    with BagWriter(path, storage=storage) as bag:
        types = bag.types
        events = [(float(t), 0, i) for i, t in enumerate(t_ref)]
        events += [(rc.arrival, 1, i) for i, rc in enumerate(stream)]
        for t, kind, i in sorted(events):
            if kind == 0:
                bag.write(REFERENCE_TOPIC,
                          joint_state_to_msg(t, joint_names, q_ref[i], types), t)
            else:
                bag.write(CHUNK_TOPIC, chunk_to_msg(stream[i].chunk, types), t)
    return Path(path)
