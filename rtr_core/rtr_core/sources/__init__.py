"""Chunk sources: where the policy node's chunks come from, chosen by name.

- ``rtr``: our checkpoints, in this process (:class:`RtrSource`);
- ``openpi``: a policy served by openpi's websocket server, e.g. pi0.5 on a GPU machine
  (:class:`OpenpiSource`);
- ``plugin``: a Python class registered under the entry-point group ``rtr.policies``
  (:class:`PluginSource`).

Every source is ``predict(observation, rtc) -> Chunk`` stamped with the observation time;
sources that return action-VAE latents have them decoded by the configured VAE.
"""

from __future__ import annotations

from .actions import ActionMapping
from .base import (
    REJECTIONS,
    ChunkSource,
    ReplyRejected,
    SourceError,
    SourceUnavailable,
    check_actions,
)
from .openpi import OpenpiConfig, OpenpiSource
from .plugin import GROUP, PluginConfig, PluginSource
from .rtr import RtrSource

SOURCES = ('rtr', 'openpi', 'plugin')


def make_source(kind: str, *, checkpoint: str = '', vae: str = '',
                openpi: OpenpiConfig | None = None,
                plugin: PluginConfig | None = None) -> ChunkSource:
    """The source ``kind`` (one of :data:`SOURCES`); ``vae`` is the action VAE checkpoint
    (latent policies: '' = the one stored in the rtr checkpoint; required for latent
    replies of openpi / plugin sources)."""
    if kind == 'rtr':
        if not checkpoint:
            raise SourceError('source rtr: parameter policy_checkpoint is empty; give the .pt '
                              'written by rtr train policy')
        return RtrSource.load(checkpoint, vae or None)
    loaded_vae = None
    if vae:
        from ..vae import ActionVAE

        loaded_vae = ActionVAE.load(vae)
    if kind == 'openpi':
        return OpenpiSource(openpi or OpenpiConfig(), vae=loaded_vae)
    if kind == 'plugin':
        plugin = plugin or PluginConfig()
        if not plugin.name:
            raise SourceError('source plugin: parameter plugin.name is empty; give the name '
                              f'the policy is registered under in entry-point group {GROUP}')
        return PluginSource.load(plugin.name, plugin.options, loaded_vae)
    raise SourceError(f'source={kind!r}: expected one of {", ".join(SOURCES)}')


__all__ = ['REJECTIONS', 'SOURCES', 'ActionMapping', 'ChunkSource', 'OpenpiConfig',
           'OpenpiSource', 'PluginConfig', 'PluginSource', 'ReplyRejected', 'RtrSource',
           'SourceError', 'SourceUnavailable', 'check_actions', 'make_source']
