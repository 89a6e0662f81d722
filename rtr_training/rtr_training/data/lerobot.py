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
from pathlib import Path

import numpy as np

from .trajectory import DataError

SUPPORTED = ('v2.0', 'v2.1', 'v3.0')


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


def _column(table, name: str, where: str) -> np.ndarray:
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


def read_lerobot_actions(path: str | Path, feature: str | None = None
                         ) -> tuple[float, dict[str, tuple[np.ndarray, np.ndarray]],
                                    tuple[str, ...], str]:
    """(fps, {episode: (timestamps (T,), values (T, D))}, column names, feature used)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise DataError(f'{path}: reading LeRobot datasets needs pyarrow ({exc}); install '
                        f'it with pip install -e "rtr_training[lerobot]"') from exc
    path = Path(path)
    info = read_info(path)
    feature = feature or 'action'
    spec = info['features'].get(feature)
    if not isinstance(spec, dict):
        numeric = [k for k, v in info['features'].items()
                   if isinstance(v, dict) and v.get('dtype') in ('float32', 'float64')]
        raise DataError(f'{path}/meta/info.json: no feature {feature!r}; numeric features: '
                        f'{", ".join(numeric) or "none"}')
    if spec.get('dtype') not in ('float32', 'float64', 'int32', 'int64'):
        raise DataError(f'{path}: feature {feature} has dtype {spec.get("dtype")!r}; expected '
                        f'a numeric vector')
    files = sorted((path / 'data').rglob('*.parquet'))
    if not files:
        raise DataError(f'{path}/data: no parquet files')
    parts = {'episode_index': [], 'frame_index': [], 'timestamp': [], feature: []}
    for file in files:
        where = str(file.relative_to(path))
        try:
            table = pq.read_table(file, columns=list(parts))
        except Exception as exc:  # missing column, corrupt file
            raise DataError(f'{path}/{where}: cannot read columns {list(parts)}: {exc}') from exc
        for name in parts:
            parts[name].append(_column(table, name, f'{path}/{where}'))
    episode = np.concatenate(parts['episode_index']).astype(np.int64)
    frame = np.concatenate(parts['frame_index']).astype(np.int64)
    stamps = np.concatenate(parts['timestamp'])
    values = np.concatenate([v.reshape(len(v), -1) for v in parts[feature]])
    if not np.all(np.isfinite(values)):
        raise DataError(f'{path}: feature {feature} contains NaN or inf')
    order = np.lexsort((frame, episode))
    episode, stamps, values = episode[order], stamps[order], values[order]
    out = {}
    for e in np.unique(episode):
        rows = episode == e
        out[f'episode_{int(e):06d}'] = (stamps[rows], values[rows])
    names = feature_names(info, feature, values.shape[1])
    return float(info['fps']), out, names, feature
