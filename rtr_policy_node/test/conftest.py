"""A small real policy checkpoint (untrained action_diffusion) for the node tests."""

import numpy as np
import pytest
import torch

from rtr_core.policy import ObservationContract, Policy, PolicyConfig
from rtr_core.vae.normaliser import MinMaxNormaliser

JOINTS = tuple(f'joint_{i}' for i in range(1, 8))


@pytest.fixture(scope='session')
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    contract = ObservationContract().with_joint_names(JOINTS)
    config = PolicyConfig(name='action_diffusion', down_dims=(16, 32), image_channels=(8, 16),
                          image_keypoints=4, vector_features=8, step_embed_dim=16, horizon=16,
                          num_inference_steps=3)
    j = len(JOINTS)
    normalisers = {'action': MinMaxNormaliser(-np.ones(j), np.ones(j)),
                   'native': MinMaxNormaliser(-np.ones(j), np.ones(j)),
                   'joint_positions': MinMaxNormaliser(-np.ones(j), np.ones(j)),
                   'wrench': MinMaxNormaliser(-10 * np.ones(6), 10 * np.ones(6))}
    path = tmp_path_factory.mktemp('ckpt') / 'policy.pt'
    Policy(config, contract, normalisers).save(path)
    return path


