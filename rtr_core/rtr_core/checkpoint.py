"""Checkpoint files: one ``torch.save`` dict with a format name and version, written
atomically and read back with ``weights_only=True`` (no code runs when loading).

Every kind of file rtr saves (action VAE, policy, training state) is a
:class:`CheckpointFormat`; reading checks the header and the required fields and raises the
format's own error naming the file, so a wrong, old or damaged file never loads half-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import atomic_path
from .errors import RtrError


@dataclass(frozen=True)
class CheckpointFormat:
    name: str  # stored in the file, e.g. 'rtr.policy'
    version: int
    what: str  # for messages, e.g. 'policy checkpoint'
    fields: tuple[str, ...]  # required payload keys
    error: type[RtrError]

    def write(self, path: str | Path, payload: dict) -> None:
        """Write ``payload`` with this format's header (a reader never sees a partial file)."""
        with atomic_path(path) as tmp:
            torch.save({'format': self.name, 'version': self.version, **payload}, tmp)

    def copy(self, source: str | Path, target: str | Path, half: bool = False) -> None:
        """Copy a checkpoint, checked on the way; ``half`` stores its floating-point weights
        (``state_dict``) as float16: half the size, and loading casts them back into the
        model's float32 parameters (a rounding of about 1e-3 relative, well below what
        training noise changes; the loaded model's content hash is that of the rounded
        weights)."""
        data = self.read(source)
        if half:
            state = data.get('state_dict')
            if not isinstance(state, dict):
                raise self.error(f'{source}: {self.what} has no state_dict to store in half '
                                 f'precision')
            data['state_dict'] = {k: v.half() if v.is_floating_point() else v
                                  for k, v in state.items()}
        self.write(target, data)

    def read(self, path: str | Path) -> dict:
        """The payload, after checking header and fields; the caller checks the contents."""
        path = Path(path)
        if not path.is_file():
            raise self.error(f'{path}: no such {self.what}')
        try:
            data = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as exc:
            raise self.error(f'{path}: not a readable torch checkpoint: {exc}') from exc
        if not isinstance(data, dict) or data.get('format') != self.name:
            got = data.get('format') if isinstance(data, dict) else type(data).__name__
            raise self.error(f'{path}: not an rtr {self.what} (format {got!r}, expected '
                             f'{self.name!r})')
        if data.get('version') != self.version:
            raise self.error(f'{path}: {self.what} format version {data.get("version")!r}; '
                             f'this rtr reads version {self.version}')
        for key in self.fields:
            if key not in data:
                raise self.error(f'{path}: {self.what} lacks the field {key!r}')
        return data
