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
stored as video (``dtype: video``, LeRobot's default: mp4 under ``videos/``, several episodes
per file in v3.0 at the offsets of ``meta/episodes``) with PyAV (the ``video`` extra), each
frame the decoded one nearest its timestamp; without PyAV the error says what to do.
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
        elif features[feature].get('dtype') == 'video' and not _have_av():
            raise DataError(
                f'{path}: camera feature {feature} is stored as video '
                f'({_video_file(path, info, feature)}); rtr trains on camera features stored '
                f'as images (dtype image, PNG in the parquet files); decoding video needs '
                f'PyAV (pip install -e "rtr_training[video]", or pip install av). Or '
                f're-export the dataset '
                f'with images (LeRobotDataset.create(..., use_videos=False), then '
                f'add_frame/save_episode the decoded frames), or train a policy without '
                f'camera: --image-feature none')
        out[name] = feature
    return contract, out


def _have_av() -> bool:
    import importlib.util

    return importlib.util.find_spec('av') is not None


def _video_files(path: Path, info: dict, feature: str, episodes) -> dict[int, tuple[Path, float]]:
    """{episode: (mp4 file, time of its first frame in the file)}: v3.0 keeps several episodes
    per file (offsets in ``meta/episodes``), v2.x one file per episode."""
    template = info.get('video_path')
    if not template:
        raise DataError(f'{path}/meta/info.json: feature {feature} is video but there is no '
                        f'video_path')
    if str(info['codebase_version']) != 'v3.0':
        size = int(info.get('chunks_size', 1000))
        return {e: (path / template.format(episode_chunk=e // size, video_key=feature,
                                           episode_index=e), 0.0) for e in episodes}
    import pyarrow.parquet as pq

    prefix = f'videos/{feature}/'
    names = ['episode_index', *(prefix + k for k in ('chunk_index', 'file_index',
                                                      'from_timestamp'))]
    out = {}
    for file in sorted((path / 'meta' / 'episodes').rglob('*.parquet')):
        try:
            rows = pq.read_table(file, columns=names).to_pylist()
        except Exception as exc:  # missing column, corrupt file
            raise DataError(f'{file}: cannot read columns {names}: {exc}') from exc
        for r in rows:
            out[int(r['episode_index'])] = (
                path / template.format(video_key=feature, chunk_index=r[names[1]],
                                       file_index=r[names[2]]), float(r[names[3]]))
    missing = sorted(set(episodes) - set(out))
    if missing:
        raise DataError(f'{path}/meta/episodes: no video of {feature} for episodes {missing}')
    return out


def _decode_video(file: Path, times: np.ndarray, fps: float, height: int,
                  width: int) -> np.ndarray:
    """The frames of ``file`` at ``times`` (seconds in the file), each the decoded frame
    nearest to its time (within a quarter frame), fitted to (height, width)."""
    import av

    tolerance = 0.25 / fps
    out = np.empty((times.size, height, width, 3), dtype=np.uint8)
    found = np.zeros(times.size, dtype=bool)
    try:
        with av.open(str(file)) as container:
            stream = container.streams.video[0]
            container.seek(max(0, int(times[0] / stream.time_base)), stream=stream,
                           backward=True)
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                if frame.time > times[-1] + tolerance:
                    break
                i = int(np.argmin(np.abs(times - frame.time)))
                if abs(times[i] - frame.time) <= tolerance and not found[i]:
                    out[i] = fit_image(frame.to_ndarray(format='rgb24'), height, width)
                    found[i] = True
    except (OSError, av.FFmpegError) as exc:
        raise DataError(f'{file}: cannot decode the video: {exc}') from exc
    if not found.all():
        t = float(times[np.argmin(found)])
        raise DataError(f'{file}: no frame within {tolerance * 1e3:.1f} ms of t={t:.4f} s '
                        f'({int((~found).sum())} of {times.size} frames missing)')
    return out


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
    video = 'image' in features and info['features'][features['image']]['dtype'] == 'video'
    if 'image' in features and not video:
        columns[features['image']] = _image_column(contract.image.height, contract.image.width)
    episodes = read_columns(path, columns)
    if video:
        feature = features['image']
        for e, (file, start) in _video_files(path, info, feature, episodes).items():
            if e in episodes:
                stamps = episodes[e]['timestamp']
                episodes[e][feature] = _decode_video(
                    file, start + stamps, fps, contract.image.height, contract.image.width)
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
    files = [path / 'meta' / 'info.json', *(path / 'data').rglob('*.parquet'),
             *(path / 'meta' / 'episodes').rglob('*.parquet'),
             *(path / 'videos').rglob('*.mp4')]
    return cached_episodes(path, files, (contract.hash, sorted(features.items()), method),
                           lambda: read_lerobot_episodes(path, contract, features, method),
                           cache_dir)
