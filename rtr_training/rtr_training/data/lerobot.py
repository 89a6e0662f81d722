"""Actions from a LeRobot dataset folder (codebase v2.1 and v3.0 layouts).

A LeRobot dataset is ``meta/info.json`` (``codebase_version``, ``fps``, ``features`` with
each feature's ``dtype``, ``shape`` and ``names``) plus parquet files under ``data/``: one
file per episode in v2.1 (``data/chunk-000/episode_000000.parquet``), several episodes per
file in v3.0 (``data/chunk-000/file-000.parquet``). Both have one row per frame with the
columns ``episode_index``, ``frame_index``, ``timestamp`` and one per feature, so both are
read the same way: every parquet file under ``data/``, rows grouped by episode and ordered by
frame. The feature (``action`` by default, or any numeric vector feature such as
``observation.state``) becomes one trajectory per episode, stamped by ``timestamp``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .trajectory import DataError

SUPPORTED = ('v2.0', 'v2.1', 'v3.0')
NONE = 'none'  # a feature name that switches an input off


@dataclass(frozen=True)
class LeRobotMapping:
    """Which dataset feature feeds which policy input (``rtr train policy``; see
    ``rtr_training.dataset.lerobot``), and how vectors are resampled to the control rate.

    ``image=None``: the dataset's only camera feature (none: no camera input);
    ``joint_positions`` is used when the dataset has it; ``'none'`` switches an input off.
    """

    action: str = 'action'
    joint_positions: str = 'observation.state'
    image: str | None = None
    wrench: str = NONE
    resample: str = 'cubic'


def is_lerobot(path: str | Path) -> bool:
    return (Path(path) / 'meta' / 'info.json').is_file()


def read_info(path: str | Path) -> dict:
    path = Path(path)
    info_path = path / 'meta' / 'info.json'
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f'{info_path}: not a readable JSON file: {exc}') from exc
    version = str(info.get('codebase_version', ''))
    if version not in SUPPORTED:
        raise DataError(f'{info_path}: codebase_version {version!r}; expected one of '
                        f'{", ".join(SUPPORTED)} (convert older datasets with LeRobot\'s '
                        f'conversion scripts)')
    fps = info.get('fps')
    if not isinstance(fps, (int, float)) or not fps > 0:
        raise DataError(f'{info_path}: fps={fps!r}; expected a positive number')
    if not isinstance(info.get('features'), dict):
        raise DataError(f'{info_path}: no features mapping')
    return info


def feature_names(info: dict, feature: str, dim: int) -> tuple[str, ...]:
    """Column names of ``feature`` from info.json (a list, or a dict of one list), else
    ``<feature>_<i>``."""
    names = info['features'][feature].get('names')
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))
    if isinstance(names, list) and len(names) == dim and all(isinstance(n, str) for n in names):
        return tuple(names)
    return tuple(f'{feature}_{i}' for i in range(dim))


def numeric_column(table, name: str, where: str) -> np.ndarray:
    """Column ``name`` of a parquet table as (N,) or (N, D) float64."""
    import pyarrow as pa

    col = table.column(name).combine_chunks()
    if pa.types.is_list(col.type) or pa.types.is_fixed_size_list(col.type) or \
            pa.types.is_large_list(col.type):
        lengths = set(col.value_lengths().to_numpy(zero_copy_only=False).tolist())
        if len(lengths) != 1:
            raise DataError(f'{where}: column {name} has rows of lengths {sorted(lengths)}; '
                            f'expected one vector length')
        values = col.flatten().to_numpy(zero_copy_only=False)
        return values.reshape(len(col), lengths.pop()).astype(np.float64)
    return col.to_numpy(zero_copy_only=False).astype(np.float64)


def numeric_feature(info: dict, path: Path, feature: str) -> dict:
    """The spec of ``feature``, which must be a numeric vector (clear error otherwise)."""
    spec = info['features'].get(feature)
    if not isinstance(spec, dict):
        numeric = [k for k, v in info['features'].items()
                   if isinstance(v, dict) and v.get('dtype') in ('float32', 'float64')]
        raise DataError(f'{path}/meta/info.json: no feature {feature!r}; numeric features: '
                        f'{", ".join(numeric) or "none"}')
    if spec.get('dtype') not in ('float32', 'float64', 'int32', 'int64'):
        raise DataError(f'{path}: feature {feature} has dtype {spec.get("dtype")!r}; expected '
                        f'a numeric vector')
    return spec


def read_columns(path: str | Path, columns: dict[str, Callable | None]
                 ) -> dict[int, dict[str, np.ndarray]]:
    """{episode index: {'timestamp': (T,), column: (T, ...)}} in frame order.

    ``columns`` maps each feature to read to a converter ``(table, name, where) -> (N, ...)
    array`` (``None``: :func:`numeric_column`). Files are read and converted one at a time,
    so a converter that shrinks its column (decoding and resizing images) bounds the memory.
    """
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise DataError(f'{path}: reading LeRobot datasets needs pyarrow ({exc}); install '
                        f'it with pip install -e "rtr_training[lerobot]"') from exc
    path = Path(path)
    files = sorted((path / 'data').rglob('*.parquet'))
    if not files:
        raise DataError(f'{path}/data: no parquet files')
    names = ['episode_index', 'frame_index', 'timestamp', *columns]
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for file in files:
        where = f'{path}/{file.relative_to(path)}'
        try:
            table = pq.read_table(file, columns=names)
        except Exception as exc:  # missing column, corrupt file
            raise DataError(f'{where}: cannot read columns {names}: {exc}') from exc
        for name in names:
            convert = columns.get(name) or numeric_column
            parts[name].append(convert(table, name, where))
    arrays = {n: np.concatenate(v) for n, v in parts.items()}
    episode = arrays.pop('episode_index').astype(np.int64)
    order = np.lexsort((arrays.pop('frame_index').astype(np.int64), episode))
    episode = episode[order]
    out = {}
    for e in np.unique(episode):
        rows = order[episode == e]
        out[int(e)] = {n: a[rows] for n, a in arrays.items()}
    return out


def frame_times(stamps: np.ndarray, fps: float) -> np.ndarray:
    """An episode's frame times from 0: its timestamps, or ``frame / fps`` where they are on
    that grid (LeRobot stores float32 stamps) or not increasing."""
    frames = np.arange(stamps.size) / fps
    t = stamps - stamps[0]
    if np.any(np.diff(t) <= 0) or np.max(np.abs(t - frames)) < 1e-3 / fps:
        return frames
    return t


def read_lerobot_actions(path: str | Path, feature: str | None = None
                         ) -> tuple[float, dict[str, tuple[np.ndarray, np.ndarray]],
                                    tuple[str, ...], str]:
    """(fps, {episode: (timestamps (T,), values (T, D))}, column names, feature used)."""
    path = Path(path)
    info = read_info(path)
    feature = feature or 'action'
    numeric_feature(info, path, feature)
    episodes = read_columns(path, {feature: None})
    out = {}
    for e, arrays in episodes.items():
        values = arrays[feature].reshape(len(arrays[feature]), -1)
        if not np.all(np.isfinite(values)):
            raise DataError(f'{path}: feature {feature} contains NaN or inf (episode {e})')
        out[episode_key(e)] = (arrays['timestamp'], values)
    dim = next(iter(out.values()))[1].shape[1]
    return float(info['fps']), out, feature_names(info, feature, dim), feature


def episode_key(index: int) -> str:
    return f'episode_{index:06d}'
