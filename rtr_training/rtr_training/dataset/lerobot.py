"""Policy episodes from a LeRobot dataset folder, its features mapped onto the contract.

A LeRobot frame ``i`` holds the observation at ``timestamp[i]`` and ``action[i]``, the
command planned from it. In rtr's convention (:mod:`.episode`) tick ``k``'s action is the
target for its observation stamp plus one control period, so each episode becomes ticks on
the contract's control grid ``tau_k = t_0 + k / control_rate_hz`` up to its last frame:

- ``actions[k]``: the action feature (``action[i]`` at ``t_i``) resampled at ``tau_k``, with
  target time ``times[k] = tau_k + dt``;
- ``joint_positions[k]`` (``observation.state``) and ``wrench[k]``: resampled at ``tau_k``;
- the image: the latest frame at or before ``tau_k``, fitted to the contract's image size the
  way the policy node fits camera frames (:func:`rtr_core.images.fit_image`).

At an fps equal to the control rate nothing is resampled: tick ``k`` is frame ``k``.
Camera features stored as images (``dtype: image``, PNG bytes in the parquet files, what
``LeRobotDataset.create(..., use_videos=False)`` writes) are decoded with Pillow; features
stored as video (``dtype: video``) are refused with what to do instead, since the project
installs no video decoder for training.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np

from rtr_core.images import fit_image
from rtr_core.policy import ObservationContract
from rtr_core.policy.policy import WRENCH_DIM

from ..data import DataError, resample
from ..data.lerobot import (
    NONE,
    LeRobotMapping,
    episode_key,
    feature_names,
    frame_times,
    numeric_feature,
    read_columns,
    read_info,
)
from .cache import cached_episodes
from .episode import Episode

CAMERA_DTYPES = ('image', 'video')
#: command-line option naming each input's feature (used in the error messages)
OPTIONS = {'action': '--action-feature', 'joint_positions': '--state-feature',
           'image': '--image-feature', 'wrench': '--wrench-feature'}


def _cameras(info: dict) -> list[str]:
    return [k for k, v in info['features'].items()
            if isinstance(v, dict) and v.get('dtype') in CAMERA_DTYPES]


def _video_file(path: Path, info: dict, feature: str) -> str:
    """The first mp4 of ``feature``: ``videos/<feature>/...`` (v3.0) or
    ``videos/chunk-*/<feature>/...`` (v2.1)."""
    found = [f for f in sorted((path / 'videos').rglob('*.mp4'))
             if feature in f.relative_to(path).parts]
    if found:
        return str(found[0])
    return f'{path}/{info.get("video_path") or "videos/"} (not present)'


def resolve(path: str | Path, contract: ObservationContract | None,
            mapping: LeRobotMapping) -> tuple[ObservationContract, dict[str, str]]:
    """The contract (given, or one input per mapped feature of the dataset) and the feature
    of each of its inputs, checked against ``meta/info.json``."""
    path = Path(path)
    info = read_info(path)
    features = info['features']
    numeric_feature(info, path, mapping.action)
    cameras = _cameras(info)
    wanted = {name: contract is None or getattr(contract, name) is not None
              for name in ('image', 'joint_positions', 'wrench')}
    image = mapping.image
    if image is None:
        if len(cameras) > 1 and wanted['image']:
            raise DataError(f'{path}: camera features {", ".join(cameras)}; a policy takes one '
                            f'camera: choose it with --image-feature NAME (or --image-feature '
                            f'none for a policy without camera)')
        image = cameras[0] if cameras else NONE
    elif image != NONE and image not in cameras:
        raise DataError(f'{path}/meta/info.json: no camera feature {image!r} (dtype image or '
                        f'video); camera features: {", ".join(cameras) or "none"}')
    state = mapping.joint_positions
    if state != NONE and state not in features and contract is None and \
            state == LeRobotMapping.joint_positions:
        state = NONE  # the default feature, absent: no joint-position input
    chosen = {'image': image, 'joint_positions': state, 'wrench': mapping.wrench}
    if contract is None:
        default = ObservationContract()
        if all(f == NONE for f in chosen.values()):
            raise DataError(f'{path}: no observation feature for the policy (no camera '
                            f'feature, no {LeRobotMapping.joint_positions}); name one with '
                            f'--image-feature, --state-feature or --wrench-feature')
        contract = dataclasses.replace(
            default, **{k: (getattr(default, k) if f != NONE else None)
                        for k, f in chosen.items()})
    out = {'action': mapping.action}
    for name, feature in chosen.items():
        if getattr(contract, name) is None:
            continue
        if feature == NONE:
            raise DataError(f'{path}: the observation contract enables {name} but no feature '
                            f'of the dataset feeds it: name one with {OPTIONS[name]} FEATURE, '
                            f'or set {name}: null in the contract')
        if name != 'image':
            if feature not in features:
                raise DataError(f'{path}/meta/info.json: no feature {feature!r} for the '
                                f'{name} input ({OPTIONS[name]}); features: '
                                f'{", ".join(features)}')
            numeric_feature(info, path, feature)
        elif features[feature].get('dtype') == 'video':
            raise DataError(
                f'{path}: camera feature {feature} is stored as video '
                f'({_video_file(path, info, feature)}); rtr trains on camera features stored '
                f'as images (dtype image, PNG in the parquet files) and installs no video '
                f'decoder. Re-export the dataset with images (LeRobotDataset.create(..., '
                f'use_videos=False), then add_frame/save_episode the decoded frames), or '
                f'train a policy without camera: --image-feature none')
        out[name] = feature
    return contract, out


def _image_column(height: int, width: int):
    """Parquet converter: encoded images (LeRobot's ``{bytes, path}`` structs) -> (N, H, W, 3)
    uint8 frames fitted to the contract size."""

    def convert(table, name: str, where: str) -> np.ndarray:
        import pyarrow as pa
        from PIL import Image

        col = table.column(name).combine_chunks()
        data = (col.field('bytes') if pa.types.is_struct(col.type) else col).to_pylist()
        frames = np.empty((len(data), height, width, 3), dtype=np.uint8)
        for i, encoded in enumerate(data):
            if not isinstance(encoded, bytes):
                raise DataError(f'{where}: column {name} row {i}: no embedded image bytes '
                                f'(expected PNG/JPEG bytes, as LeRobot writes dtype image)')
            try:
                with Image.open(io.BytesIO(encoded)) as img:
                    rgb = np.asarray(img.convert('RGB'))
            except Exception as exc:  # PIL.UnidentifiedImageError, truncated data
                raise DataError(f'{where}: column {name} row {i}: not a readable image: '
                                f'{exc}') from exc
            frames[i] = fit_image(rgb, height, width)
        return frames

    return convert


def _columns(names: tuple[str, ...], wanted: tuple[str, ...], where: str) -> list[int]:
    missing = [n for n in wanted if n not in names]
    if missing:
        raise DataError(f'{where}: no columns {", ".join(missing)}; its names: '
                        f'{", ".join(names)}')
    return [names.index(n) for n in wanted]


def read_lerobot_episodes(path: str | Path, contract: ObservationContract,
                          features: dict[str, str], method: str = 'cubic') -> list[Episode]:
    """Every episode of the dataset aligned to ``contract`` (resolved by :func:`resolve`)."""
    path = Path(path)
    info = read_info(path)
    fps = float(info['fps'])
    dt = contract.control_dt
    columns = {f: None for k, f in features.items() if k != 'image'}
    if 'image' in features:
        columns[features['image']] = _image_column(contract.image.height, contract.image.width)
    episodes = read_columns(path, columns)
    first = next(iter(episodes.values()))
    names = {k: feature_names(info, f, first[f].reshape(len(first[f]), -1).shape[1])
             for k, f in features.items() if k != 'image'}
    joints = tuple(contract.action.joint_names) or names['action']
    action_cols = _columns(names['action'], joints, f'{path}: feature {features["action"]}')
    state_cols = None
    if 'joint_positions' in features:
        state_names = names['joint_positions']
        if all(j in state_names for j in joints):
            state_cols = [state_names.index(j) for j in joints]
        elif len(state_names) == len(names['action']):
            state_cols = action_cols  # unnamed or differently named columns: same order
        else:
            raise DataError(f'{path}: feature {features["joint_positions"]} '
                            f'({", ".join(state_names)}) does not hold the joints of '
                            f'{features["action"]} ({", ".join(joints)}): the joint-position '
                            f'input is the position of each action joint')
    if 'wrench' in features and len(names['wrench']) != WRENCH_DIM:
        raise DataError(f'{path}: feature {features["wrench"]} has {len(names["wrench"])} '
                        f'values; a wrench input has {WRENCH_DIM} (force, torque)')
    columns_of = {'action': action_cols, 'joint_positions': state_cols, 'wrench': None}
    return [_align(f'{path}:{episode_key(e)}', arrays, fps, dt, features, columns_of, joints,
                   method) for e, arrays in episodes.items()]


def _align(where: str, arrays: dict[str, np.ndarray], fps: float, dt: float,
           features: dict[str, str], columns_of: dict[str, list[int] | None],
           joints: tuple[str, ...], method: str) -> Episode:
    """One episode's frames on the control grid (see the module's docstring)."""
    stamps = arrays['timestamp']
    if stamps.size < 2:
        raise DataError(f'{where}: needs at least 2 frames, has {stamps.size}')
    t = frame_times(stamps, fps)
    on_grid = abs(fps * dt - 1.0) < 1e-9 and np.array_equal(t, np.arange(t.size) / fps)
    ticks = {}
    for key in ('action', 'joint_positions', 'wrench'):
        if key not in features:
            ticks[key] = None
            continue
        x = arrays[features[key]].reshape(t.size, -1)
        if not np.all(np.isfinite(x)):
            raise DataError(f'{where}: feature {features[key]} contains NaN or inf')
        cols = columns_of[key]
        x = x if cols is None else x[:, cols]
        ticks[key] = (x if on_grid else resample(t, x, dt, method)).astype(np.float32)
    grid = dt * np.arange(len(ticks['action']))
    frames = frame_index = None
    if 'image' in features:
        latest = np.searchsorted(t, grid + 1e-3 * min(dt, 1.0 / fps), side='right') - 1
        used, frame_index = np.unique(latest, return_inverse=True)
        frames = arrays[features['image']][used]
        frame_index = frame_index.astype(np.int32)
    return Episode(source=where, joint_names=joints, times=float(stamps[0]) + grid + dt,
                   actions=ticks['action'], joint_positions=ticks['joint_positions'],
                   wrench=ticks['wrench'], frames=frames, frame_index=frame_index)


def load_lerobot(path: str | Path, contract: ObservationContract, features: dict[str, str],
                 method: str = 'cubic', cache_dir: str | Path | None = None) -> list[Episode]:
    """:func:`read_lerobot_episodes`, from the cache when the dataset is unchanged."""
    path = Path(path)
    files = [path / 'meta' / 'info.json', *(path / 'data').rglob('*.parquet')]
    return cached_episodes(path, files, (contract.hash, sorted(features.items()), method),
                           lambda: read_lerobot_episodes(path, contract, features, method),
                           cache_dir)
