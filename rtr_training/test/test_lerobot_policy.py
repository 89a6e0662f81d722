"""`rtr train policy` on LeRobot datasets written by LeRobot's own code (lerobot 0.4.4,
``LeRobotDataset.create(..., use_videos=False)``: camera frames as PNG in the parquet files).

The datasets hold the simulator's recorded `write` demonstrations, row by row as the bag
reader aligns them (camera, joint positions, wrench, commanded action per control tick):

- at 60 fps (the control rate) the LeRobot path gives exactly the training samples of the
  native rosbag2 path (action windows, images, joint positions, wrench, stamps);
- at 30 fps with 96x128 frames (a real dataset's lower rate and wider camera) the actions and
  states are resampled to 60 Hz through the original rows and the frames are fitted (centre
  crop, as the policy node fits camera frames) back to the 96x96 originals;
- `rtr train policy` trains on it, the checkpoint's contract follows the dataset's features
  and its predictions run; `--image-feature none` trains a policy without camera;
- a dataset whose camera is stored as video (written by LeRobot with ``use_videos=True``, AV1
  mp4) is decoded with PyAV at each frame's timestamp; without PyAV it gets an error naming
  the feature, the mp4 file and what to do.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from rtr_core.policy import ObservationContract, Policy
from rtr_core.threads import torch_threads
from rtr_training.data import DataError
from rtr_training.dataset import LeRobotMapping, PolicyDataset

HORIZON = 16
WRENCH_NAMES = ['fx', 'fy', 'fz', 'tx', 'ty', 'tz']
SMALL_CONFIG = ('batch_size: 16\neval_every: 4\npolicy:\n  down_dims: [16, 32]\n'
                '  image_channels: [8, 16]\n  num_inference_steps: 3\n')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope='module')
def native(tmp_path_factory):
    """Two simulated `write` demonstrations as rosbag2 files, read by the native path."""
    os.environ.setdefault('MUJOCO_GL', 'egl')  # before MuJoCo is first imported
    from rtr_sim.recording import RecordConfig, record_dataset

    root = tmp_path_factory.mktemp('native')
    record_dataset(root / 'bags', 2, RecordConfig(task='write'), workers=1, progress=False)
    return PolicyDataset.from_bags([root / 'bags'], ObservationContract(), HORIZON,
                                   cache_dir=root / 'cache')


def _write(module, root, native: PolicyDataset, fps: int, every: int = 1, pad: int = 0,
           video: bool = False):
    """The native episodes as a LeRobot dataset: every ``every``-th control tick one frame;
    ``pad`` grey columns left and right of each camera frame."""
    names = list(native.joint_names)
    features = {
        'observation.image': {'dtype': 'video' if video else 'image',
                              'shape': (96, 96 + 2 * pad, 3),
                              'names': ['height', 'width', 'channels']},
        'observation.state': {'dtype': 'float32', 'shape': (len(names),), 'names': names},
        'observation.wrench': {'dtype': 'float32', 'shape': (6,), 'names': WRENCH_NAMES},
        'action': {'dtype': 'float32', 'shape': (len(names),), 'names': names},
    }
    ds = module.LeRobotDataset.create('rtr/write', fps, features=features, root=root,
                                      use_videos=video)
    for ep in native.episodes:
        for k in range(0, ep.length, every):
            image = ep.frames[ep.frame_index[k]]
            image = np.pad(image, ((0, 0), (pad, pad), (0, 0)), constant_values=128)
            ds.add_frame({'observation.image': image,
                          'observation.state': ep.joint_positions[k],
                          'observation.wrench': ep.wrench[k],
                          'action': ep.actions[k], 'task': 'write'})
        ds.save_episode()
    ds.finalize()
    return root


@pytest.fixture(scope='module')
def at_60fps(tmp_path_factory, native, lerobot_dataset):
    return _write(lerobot_dataset, tmp_path_factory.mktemp('lerobot') / 'write60', native, 60)


@pytest.fixture(scope='module')
def at_30fps(tmp_path_factory, native, lerobot_dataset):
    return _write(lerobot_dataset, tmp_path_factory.mktemp('lerobot') / 'write30', native, 30,
                  every=2, pad=16)


def test_at_the_control_rate_the_samples_are_those_of_the_bags(native, at_60fps, tmp_path):
    mapping = LeRobotMapping(image='observation.image', wrench='observation.wrench')
    ours = PolicyDataset.from_paths([at_60fps], None, HORIZON, tmp_path, mapping)
    assert ours.contract == native.contract  # image, joint positions and wrench, same joints
    assert len(ours) == len(native) and ours.joint_names == native.joint_names
    everything = np.arange(len(native))
    np.testing.assert_array_equal(ours.windows(everything), native.windows(everything))
    a, b = ours.inputs(everything), native.inputs(everything)
    for key in ('image', 'joint_positions', 'wrench'):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    for e in range(len(native.episodes)):  # same ticks (LeRobot stamps each episode from 0)
        mine, theirs = ours.stamps[ours.episode_of == e], native.stamps[native.episode_of == e]
        np.testing.assert_allclose(mine - mine[0], theirs - theirs[0], atol=1e-6)
    # a second pass comes from the cache, unchanged
    again = PolicyDataset.from_paths([at_60fps], None, HORIZON, tmp_path, mapping)
    np.testing.assert_array_equal(again.inputs(everything)['image'], a['image'])


def test_a_30fps_dataset_with_wider_frames_is_resampled_and_fitted(native, at_30fps, tmp_path):
    ours = PolicyDataset.from_paths([at_30fps], None, HORIZON, tmp_path)
    assert ours.contract.inputs == ('image', 'joint_positions')  # no wrench unless mapped
    assert (ours.contract.image.height, ours.contract.image.width) == (96, 96)
    for ep, ref in zip(ours.episodes, native.episodes, strict=True):
        n = (ref.length + 1) // 2  # frames written
        assert ep.length == 2 * n - 1  # 30 fps -> 60 Hz ticks from the first frame to the last
        np.testing.assert_allclose(ep.actions[::2], ref.actions[::2], atol=1e-5)
        np.testing.assert_allclose(ep.joint_positions[::2], ref.joint_positions[::2], atol=1e-5)
        # between two frames the cubic resampling stays close to the recorded 60 Hz actions
        assert np.max(np.abs(ep.actions[1::2] - ref.actions[1:2 * n - 1:2])) < 2e-3
        frames = ep.frames[ep.frame_index]  # each tick's frame: the latest at or before it
        originals = ref.frames[ref.frame_index[0:2 * n:2]]
        np.testing.assert_array_equal(frames[::2], originals)
        np.testing.assert_array_equal(frames[1::2], originals[:-1])


def test_rtr_train_policy_on_a_lerobot_dataset(at_30fps, tmp_path):
    from rtr_bringup.cli.main import main

    config = tmp_path / 'small.yaml'
    config.write_text(SMALL_CONFIG)
    common = ['train', 'policy', '--data', str(at_30fps), '--policy', 'action_diffusion',
              '--config', str(config), '--steps', '4', '--cache', str(tmp_path / 'cache'),
              '--no-progress']
    assert main([*common, '--out', str(tmp_path / 'camera.pt')]) == 0
    assert main([*common, '--image-feature', 'none', '--out', str(tmp_path / 'state.pt')]) == 0
    data = PolicyDataset.from_paths([at_30fps], None, HORIZON, tmp_path / 'cache')
    obs = data.observation(40)
    for name, inputs in (('camera', ('image', 'joint_positions')),
                         ('state', ('joint_positions',))):
        policy = Policy.load(tmp_path / f'{name}.pt')
        c = policy.contract
        assert c.inputs == inputs and c.control_rate_hz == 60.0
        assert policy.joint_names == data.joint_names and len(policy.joint_names) == 7
        if c.image is not None:
            assert (c.image.height, c.image.width) == (96, 96)
        assert policy.training['step'] == 4
        chunk = policy.predict(obs, seed=0)
        assert chunk.positions.shape == (policy.config.horizon, 7)
        assert chunk.dt == pytest.approx(1 / 60)
        assert np.all(np.isfinite(chunk.positions))


def test_camera_stored_as_video_is_decoded_with_pyav(native, lerobot_dataset, tmp_path,
                                                     capsys, monkeypatch):
    """LeRobot's default: the camera as AV1 mp4 (encoded by LeRobot through PyAV), decoded at
    each frame's timestamp with PyAV (pinned in constraints.txt); without PyAV, an error that
    names the feature, the file and what to do."""
    pytest.importorskip('av', reason='PyAV not installed (make setup installs it)')
    from rtr_bringup.cli.main import main
    from rtr_training.dataset import lerobot

    root = _write(lerobot_dataset, tmp_path / 'video', native, 30, every=2, video=True)
    mp4 = sorted((root / 'videos').rglob('*.mp4'))
    assert len(mp4) == 1  # both episodes in one file (v3.0): the second starts at an offset
    ours = PolicyDataset.from_paths([root], None, HORIZON, tmp_path / 'cache')
    assert ours.contract.inputs == ('image', 'joint_positions')
    for ep, ref in zip(ours.episodes, native.episodes, strict=True):
        originals = ref.frames[ref.frame_index[0:ref.length:2]].astype(float)
        decoded = ep.frames[ep.frame_index[::2]].astype(float)
        assert decoded.shape == originals.shape
        error = np.abs(decoded - originals).mean(axis=(1, 2, 3))  # lossy AV1: 1.9 levels
        assert error.max() < 6.0
        # each frame at its own time: closer to the originals than one frame off either way
        # (2.4-2.7 levels: the scene moves little between two frames)
        late = np.abs(decoded[1:] - originals[:-1]).mean()
        early = np.abs(decoded[:-1] - originals[1:]).mean()
        assert error.mean() < 0.9 * min(late, early)
    monkeypatch.setattr(lerobot, '_have_av', lambda: False)
    with pytest.raises(DataError) as error:
        PolicyDataset.from_paths([root], None, HORIZON, tmp_path / 'cache')
    message = str(error.value)
    assert 'observation.image' in message and str(mp4[0]) in message
    assert 'pip install av' in message and '--image-feature none' in message
    out = tmp_path / 'x.pt'
    assert main(['train', 'policy', '--data', str(root), '--policy', 'action_diffusion',
                 '--out', str(out), '--no-progress']) == 2
    assert 'stored as video' in capsys.readouterr().err and not out.exists()
    state_only = PolicyDataset.from_paths([root], None, HORIZON, tmp_path / 'cache',
                                          LeRobotMapping(image='none'))
    assert state_only.contract.inputs == ('joint_positions',)


def test_an_input_without_its_feature_is_an_error_naming_the_option(at_30fps, tmp_path):
    full = ObservationContract()  # camera, joint positions and wrench
    with pytest.raises(DataError, match='enables wrench but no feature .* --wrench-feature'):
        PolicyDataset.from_paths([at_30fps], full, HORIZON, tmp_path)
    with pytest.raises(DataError, match="no camera feature 'front' .*: observation.image"):
        PolicyDataset.from_paths([at_30fps], None, HORIZON, tmp_path,
                                 LeRobotMapping(image='front'))
    with pytest.raises(DataError, match=r"no feature 'q' for the joint_positions input "
                                        r"\(--state-feature\)"):
        PolicyDataset.from_paths([at_30fps], None, HORIZON, tmp_path,
                                 LeRobotMapping(joint_positions='q'))


def test_the_v21_layout_reads_like_v30(at_30fps, tmp_path):
    """One parquet file per episode (v2.1; test_lerobot.py checks this layout against
    LeRobot's own v2.1 -> v3.0 converter), the camera column as LeRobot wrote it."""
    import json

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    v21 = tmp_path / 'v21'
    table = pq.read_table(sorted((at_30fps / 'data').rglob('*.parquet'))[0])
    for e in sorted(set(table.column('episode_index').to_pylist())):
        path = v21 / 'data' / 'chunk-000' / f'episode_{e:06d}.parquet'
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.filter(pc.equal(table.column('episode_index'), e)), path)
    info = json.loads((at_30fps / 'meta' / 'info.json').read_text())
    (v21 / 'meta').mkdir()
    (v21 / 'meta' / 'info.json').write_text(json.dumps({**info, 'codebase_version': 'v2.1'}))
    a = PolicyDataset.from_paths([at_30fps], None, HORIZON, tmp_path / 'cache')
    b = PolicyDataset.from_paths([v21], None, HORIZON, tmp_path / 'cache')
    everything = np.arange(len(a))
    assert len(b) == len(a) and len(b.episodes) == 2
    np.testing.assert_array_equal(b.windows(everything), a.windows(everything))
    for key, value in a.inputs(everything).items():
        np.testing.assert_array_equal(b.inputs(everything)[key], value, err_msg=key)
