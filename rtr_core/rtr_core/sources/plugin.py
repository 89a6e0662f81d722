"""``plugin``: any Python policy registered under the entry-point group ``rtr.policies``.

The minimal interface (docs/sources/plugin.md has a complete 30-line example)::

    class MyPolicy:
        joint_names = ('joint_1', ..., 'joint_7')   # the chunk's joints, in column order
        action_dt = 1 / 15                          # s between actions (the chunk period)
        inputs = ('image', 'joint_positions')       # optional; also 'wrench'
        image_size = (224, 224)                     # optional (height, width) of frames
        actions = 'absolute'                        # optional: delta, velocity, latent

        def __init__(self, **options): ...          # options from the node parameter
        def infer(self, observation) -> np.ndarray: # rtr_core.policy.Observation -> (H, J)

registered in the plugin's ``pyproject.toml``::

    [project.entry-points."rtr.policies"]
    my_policy = "my_package.module:MyPolicy"

``infer`` may also return a mapping with ``actions`` (rows as above) or ``latent`` (decoded
by the node's VAE). Action ``i`` is the target for ``observation.stamp + (i + 1) * action_dt``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import entry_points

import yaml

from ..chunk import Chunk
from ..policy.observation import Observation
from ..policy.rtc import RTCContext
from .actions import MODES, ActionMapping
from .base import ChunkSource, ReplyRejected, SourceError
from .latent import decode_latent

GROUP = 'rtr.policies'
INPUTS = ('image', 'joint_positions', 'wrench')


@dataclass(frozen=True)
class PluginConfig:
    name: str = ''  # entry-point name in group rtr.policies
    options: str = ''  # YAML mapping: the plugin's keyword arguments


def available() -> list[str]:
    """Names registered under ``rtr.policies``."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_plugin(name: str, options: str | dict = ''):
    """An instance of the plugin class registered as ``name``; ``options`` (a YAML mapping or
    a dict) are its keyword arguments."""
    found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not found:
        raise SourceError(f'plugin.name={name!r}: no entry point of that name in group '
                          f'{GROUP!r}; installed: {", ".join(available()) or "none"}')
    if isinstance(options, str):
        try:
            options = yaml.safe_load(options) if options.strip() else {}
        except yaml.YAMLError as exc:
            raise SourceError(f'plugin.options: not YAML: {exc}') from exc
    if not isinstance(options, dict):
        raise SourceError(f'plugin.options: expected a mapping of keyword arguments, got '
                          f'{options!r}')
    try:
        cls = found[0].load()
    except Exception as exc:
        raise SourceError(f'plugin {name} ({found[0].value}): cannot import: {exc}') from exc
    try:
        return cls(**options)
    except Exception as exc:
        raise SourceError(f'plugin {name} ({found[0].value}): constructor failed with '
                          f'options {options}: {exc}') from exc


class PluginSource(ChunkSource):
    """Wraps a plugin instance; checks its attributes once and every reply."""

    kind = 'plugin'

    def __init__(self, plugin, name: str = '', vae=None):
        where = f'plugin {name or type(plugin).__name__}'
        joints = tuple(getattr(plugin, 'joint_names', ()) or ())
        if not joints or not all(isinstance(j, str) for j in joints):
            raise SourceError(f'{where}: attribute joint_names: expected the chunk\'s joint '
                              f'names (strings), got {joints!r}')
        inputs = tuple(getattr(plugin, 'inputs', ('joint_positions',)))
        if not inputs or set(inputs) - set(INPUTS):
            raise SourceError(f'{where}: attribute inputs={inputs!r}: expected some of '
                              f'{INPUTS}')
        size = getattr(plugin, 'image_size', None)
        if size is not None:
            size = tuple(int(v) for v in size)
        mode = getattr(plugin, 'actions', 'absolute')
        if mode not in MODES:
            raise SourceError(f'{where}: attribute actions={mode!r}: expected one of {MODES}')
        if mode == 'latent':
            if vae is None:
                raise SourceError(f'{where} returns latents: the node needs vae_checkpoint')
            dt = vae.dt
        else:
            dt = getattr(plugin, 'action_dt', None)
            if not isinstance(dt, (int, float)) or not dt > 0:
                raise SourceError(f'{where}: attribute action_dt={dt!r}: expected the period '
                                  f'between actions in seconds (> 0)')
        if not callable(getattr(plugin, 'infer', None)):
            raise SourceError(f'{where}: has no method infer(observation)')
        super().__init__(joints, inputs, size)
        self.plugin = plugin
        self.plugin_name = name or type(plugin).__name__
        self.mapping = ActionMapping(mode=mode)
        self.dt = float(dt)
        self.vae = vae

    @classmethod
    def load(cls, name: str, options: str | dict = '', vae=None) -> PluginSource:
        return cls(load_plugin(name, options), name, vae)

    @property
    def name(self) -> str:
        return f'plugin:{self.plugin_name}'

    @property
    def version(self) -> str:
        return str(getattr(self.plugin, 'version', ''))

    def close(self) -> None:
        close = getattr(self.plugin, 'close', None)
        if callable(close):
            close()

    def reset(self) -> None:
        reset = getattr(self.plugin, 'reset', None)
        if callable(reset):
            reset()

    def _predict(self, observation: Observation, rtc: RTCContext | None) -> Chunk:
        t0 = time.perf_counter()
        try:
            reply = self.plugin.infer(observation)
        except Exception as exc:  # the plugin's own errors: counted by the worker, not fatal
            raise SourceError(f'{self.name}: infer raised {type(exc).__name__}: {exc}') from exc
        latent = None
        if isinstance(reply, dict):
            key = 'latent' if self.mapping.mode == 'latent' else 'actions'
            if key not in reply:
                raise ReplyRejected('missing_key', f'{self.name} replied without {key!r} '
                                    f'(keys {sorted(reply)})')
            reply = reply[key]
        if self.mapping.mode == 'latent':
            positions, latent = decode_latent(self.vae, reply, self.joint_names)
        else:
            positions = self.mapping.positions(reply, self.joint_names,
                                               observation.joint_positions, self.dt)
        return self.chunk(observation, positions, self.dt, t0, latent)
