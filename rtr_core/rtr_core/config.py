"""Typed configuration: dataclasses loaded strictly from YAML / dicts / ROS parameters.

One dataclass per configurable thing is the single source of truth for its keys, types and
defaults. YAML files hold only what differs from the defaults. Loading is strict: an unknown
key, a missing required key or a value of the wrong type raises :class:`ConfigError` naming
the file and the dotted key, so a typo never silently falls back to a default.

The same dataclass gives a node its ROS 2 parameters: :func:`flatten` turns it into
``{'dotted.name': value}`` to declare, and :func:`unflatten` builds it back from the values
the node received. rclpy silently drops an override of a parameter that was never declared,
so :func:`from_parameters` first checks the names of the overrides a node was given.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml

from .errors import RtrError

T = TypeVar('T')


class ConfigError(RtrError, ValueError):
    """A configuration value or key that does not match its dataclass."""


def _where(source: str, key: str) -> str:
    return f'{source}: {key}' if source else key


def _type_name(tp: Any) -> str:
    return getattr(tp, '__name__', None) or str(tp).replace('typing.', '')


def _convert(value: Any, tp: Any, source: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        choices = [a for a in args if a is not type(None)]
        if len(choices) == 1:  # Optional[X]: X's own error names the inner key
            return _convert(value, choices[0], source, key)
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, source, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f'{_where(source, key)}: expected {_type_name(tp)}, got {value!r}')
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f'{_where(source, key)}: expected one of {list(args)}, '
                              f'got {value!r}')
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f'{_where(source, key)}: expected a mapping for '
                              f'{tp.__name__}, got {value!r}')
        return from_dict(tp, value, source, prefix=key)
    if origin in (list, tuple):
        # rclpy gives array parameters as array.array, numpy users pass arrays
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ConfigError(f'{_where(source, key)}: expected a list, got {value!r}')
        value = list(value)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(f'{_where(source, key)}: expected {len(args)} items, '
                                  f'got {len(value)}')
            return tuple(_convert(v, a, source, f'{key}[{i}]')
                         for i, (v, a) in enumerate(zip(value, args, strict=True)))
        item = args[0] if args else Any
        items = [_convert(v, item, source, f'{key}[{i}]') for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f'{_where(source, key)}: expected a mapping, got {value!r}')
        vt = args[1] if args else Any
        return {str(k): _convert(v, vt, source, f'{key}.{k}') for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f'{_where(source, key)}: expected true or false, got {value!r}')
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f'{_where(source, key)}: expected an integer, got {value!r}')
        return value
    if tp is float:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f'{_where(source, key)}: expected a number, got {value!r}')
        if value != value:  # NaN compares false with everything, so no range check stops it
            raise ConfigError(f'{_where(source, key)}: expected a number, got NaN')
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f'{_where(source, key)}: expected a string, got {value!r}')
        return value
    raise ConfigError(f'{_where(source, key)}: unsupported config type {_type_name(tp)}')


def from_dict(cls: type[T], data: Mapping[str, Any], source: str = '', prefix: str = '') -> T:
    """Build ``cls`` from ``data``, strictly (unknown keys and wrong types raise)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f'{_where(source, prefix or cls.__name__)}: expected a mapping, '
                          f'got {type(data).__name__}')
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f'{prefix}.{unknown[0]}' if prefix else unknown[0]
        raise ConfigError(f'{_where(source, where)}: unknown key for {cls.__name__}; '
                          f'known keys: {", ".join(sorted(fields))}')
    kwargs = {}
    for name, field in fields.items():
        key = f'{prefix}.{name}' if prefix else name
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], source, key)
        elif 'legacy' in field.metadata:
            kwargs[name] = field.metadata['legacy']
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f'{_where(source, key)}: required key is missing')
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # the dataclass's own checks (__post_init__)
        if isinstance(exc, ConfigError) and (not source or str(exc).startswith(source)):
            raise
        raise ConfigError(f'{_where(source, prefix or cls.__name__)}: {exc}') from exc


def load_yaml(cls: type[T], path: str | Path, key: str | None = None) -> T:
    """Load ``cls`` from a YAML file (optionally from the mapping under ``key``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f'{path}: no such config file') from None
    except yaml.YAMLError as exc:
        raise ConfigError(f'{path}: not valid YAML: {exc}') from exc
    data = {} if data is None else data
    if key is not None:
        for part in key.split('.'):
            if not isinstance(data, Mapping) or part not in data:
                raise ConfigError(f'{path}: missing section {key!r}')
            data = data[part]
        data = {} if data is None else data
    return from_dict(cls, data, str(path))


def load_ros_params(cls: type[T], path: str | Path, node_name: str) -> T:
    """Load ``cls`` from a ROS 2 parameter file (``node_name: ros__parameters: ...``).

    Parameters are looked up under ``node_name`` or the ``/**`` wildcard; ``use_sim_time``,
    which every node has, is ignored.
    """
    path = Path(path)
    raw = yaml.safe_load(path.read_text()) or {}
    for name in (node_name, f'/{node_name}', '/**'):
        if isinstance(raw, Mapping) and name in raw:
            params = (raw[name] or {}).get('ros__parameters')
            if params is None:
                raise ConfigError(f'{path}: {name}: missing ros__parameters')
            params = {k: v for k, v in params.items() if k != 'use_sim_time'}
            return from_dict(cls, params, str(path))
    raise ConfigError(f'{path}: no parameters for node {node_name!r}')


def added_field(default: Any, legacy: Any = None) -> Any:
    """A config field added after artifacts were made with its dataclass: ``legacy`` (the
    ``default`` unless given) is the value those artifacts implied. :func:`to_dict` leaves the
    field out at that value, so their content hashes and keys stay what they were, and
    :func:`from_dict` gives it back to data without the key."""
    legacy = default if legacy is None else legacy
    return dataclasses.field(default=default, metadata={'legacy': legacy})


def _at_legacy(obj: Any, f: dataclasses.Field) -> bool:
    return 'legacy' in f.metadata and getattr(obj, f.name) == f.metadata['legacy']


def to_dict(obj: Any) -> dict[str, Any]:
    """Plain dict (lists, not tuples) of a config dataclass, YAML-ready (without the
    :func:`added_field` fields at their legacy value)."""
    def plain(v):
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)
                    if not _at_legacy(v, f)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v
    return plain(obj)


def flatten(obj: Any) -> dict[str, Any]:
    """``{'dotted.name': value}`` of a config dataclass: the ROS 2 parameters to declare."""
    out: dict[str, Any] = {}

    def walk(value, prefix):
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f'{prefix}{f.name}.')
        else:
            out[prefix[:-1]] = list(value) if isinstance(value, tuple) else value
    walk(obj, '')
    return out


def unflatten(cls: type[T], flat: Mapping[str, Any], source: str = 'parameters') -> T:
    """Inverse of :func:`flatten`: build ``cls`` from dotted parameter values."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = nested
        parts = dotted.split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return from_dict(cls, nested, source)


#: Parameters every rclpy node has besides its own (``use_sim_time``, the type description
#: service switch, QoS overrides).
ROS_PARAMETERS = ('use_sim_time', 'start_type_description_service')
ROS_PARAMETER_PREFIXES = ('qos_overrides.',)


def dotted(data: Mapping[str, Any], prefix: str = '') -> dict[str, Any]:
    """``{'a.b.c': value}`` of nested YAML mappings: the parameter names ROS 2 makes of a
    ``ros__parameters`` block."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(dotted(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = value
    return out


def check_parameter_names(cls: type, given: Sequence[str] | Mapping[str, Any], source: str,
                          required: Sequence[str] = ()) -> None:
    """Refuse parameter overrides that name no field of ``cls`` (a typo would otherwise be
    dropped by rclpy and the default used), naming the closest valid name, and require the
    ``required`` ones (values with no safe default, e.g. a robot's limits)."""
    known = sorted(flatten(cls()))
    unknown = [n for n in given if n not in known and n not in ROS_PARAMETERS
               and not n.startswith(ROS_PARAMETER_PREFIXES)]
    if unknown:
        problems = []
        for name in sorted(unknown):
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            problems.append(f'unknown parameter {name!r}{hint}')
        raise ConfigError(f'{source}: {"; ".join(problems)} (the parameters are the fields '
                          f'of {cls.__name__})')
    missing = [n for n in required if n not in given]
    if missing:
        raise ConfigError(f'{source}: required parameters missing: {", ".join(missing)} '
                          f'(no default is safe: give them in the parameters file)')


def from_parameters(cls: type[T], values: Mapping[str, Any], overrides: Sequence[str] |
                    Mapping[str, Any], source: str, required: Sequence[str] = ()) -> T:
    """The config a node was given: ``overrides`` are the parameter names set from outside
    (parameters file, launch, command line), checked by :func:`check_parameter_names`;
    ``values`` are the declared parameters' values."""
    check_parameter_names(cls, overrides, source, required)
    return unflatten(cls, values, source)
