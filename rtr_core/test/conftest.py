import numpy as np
import pytest

from rtr_core.chunk import Chunk
from rtr_core.executor.state import MODE_EXECUTING, ExecutorState
from rtr_core.msgs import MessageTypes

JOINTS = ('joint_1', 'joint_2', 'joint_3', 'joint_4', 'joint_5', 'joint_6', 'joint_7')


@pytest.fixture(scope='session')
def types():
    return MessageTypes.from_rosbags()


@pytest.fixture
def chunk():
    rng = np.random.default_rng(0)
    h = 48
    return Chunk(
        stamp=1700000000.123456789,
        start_time=1700000000.140123456,
        dt=1 / 60,
        joint_names=JOINTS,
        positions=rng.normal(size=(h, len(JOINTS))).astype(np.float32).astype(np.float64),
        chunk_id=42,
        velocities=rng.normal(size=(h, len(JOINTS))).astype(np.float32).astype(np.float64),
        latent=rng.normal(size=(12, 8)).astype(np.float32).astype(np.float64),
        policy_name='latent_diffusion',
        policy_version='abc123',
        inference_duration=0.0125,
    )


@pytest.fixture
def executor_state():
    return ExecutorState(
        stamp=12.5,
        tick=750,
        control_period=1 / 60,
        joint_names=JOINTS,
        position=np.linspace(-1, 1, 7),
        velocity=np.linspace(0.1, 0.7, 7),
        planned_actions_left=24,
        chunk_id=7,
        last_received_chunk_id=8,
        inference_requested=True,
        strategy='rtr',
        mode=MODE_EXECUTING,
        chunks_accepted=7,
        chunks_rejected=1,
        clamped_ticks=3,
        stall_ticks=0,
        last_rejection_reason='chunk 5: positions contain NaN',
        last_rejected_chunk_id=5,
    )
