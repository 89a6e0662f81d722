"""The latest value of each policy input with its stamp, written by callbacks, read by the
inference thread."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ..joints import select_joints
from ..policy.observation import Observation


class LatestInputs:
    """Thread-safe latest image, joint state and wrench.

    ``dropped`` counts inputs that were overwritten before any inference used them (normal
    for a 30 Hz camera and a slower policy; a diagnostic, not an error).
    """

    INPUTS = ('image', 'joint_positions', 'wrench')

    def __init__(self, joint_names: Sequence[str], inputs: Sequence[str] = INPUTS):
        unknown = set(inputs) - set(self.INPUTS)
        if unknown:
            raise ValueError(f'unknown inputs {sorted(unknown)}; expected some of {self.INPUTS}')
        self.joint_names = tuple(joint_names)
        self.inputs = tuple(inputs)
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, object]] = {}
        self._used: dict[str, bool] = {}
        self.dropped = {name: 0 for name in self.inputs}

    def _put(self, name: str, stamp: float, value) -> None:
        with self._lock:
            if name in self._values and not self._used[name]:
                self.dropped[name] += 1
            self._values[name] = (float(stamp), value)
            self._used[name] = False

    def put_image(self, stamp: float, rgb: np.ndarray) -> None:
        self._put('image', stamp, rgb)

    def put_joint_state(self, stamp: float, names: Sequence[str], positions) -> None:
        """Joint positions in any order (matched by name when read)."""
        self._put('joint_positions', stamp, (tuple(names), np.asarray(positions)))

    def put_wrench(self, stamp: float, wrench) -> None:
        self._put('wrench', stamp, np.asarray(wrench, dtype=np.float64))

    def observation(self, now: float, stale_after: float) -> tuple[Observation | None, str]:
        """The observation to infer from, or None and the reason (missing or stale input).

        Its stamp is the joint state's (the control-rate sensor) when used, else the newest
        input's: the chunk is planned from that instant.
        """
        with self._lock:
            values = dict(self._values)
            for name in values:
                self._used[name] = True
        fields, stamps = {}, {}
        for name in self.inputs:
            if name not in values:
                return None, f'no {name} received yet'
            stamp, value = values[name]
            age = now - stamp
            if age > stale_after:
                return None, f'{name} is {age * 1e3:.0f} ms old (limit {stale_after * 1e3:.0f} ms)'
            if name == 'joint_positions':
                names, positions = value
                try:
                    value = select_joints(names, positions, self.joint_names)
                except Exception as exc:
                    return None, str(exc)
            fields[name], stamps[f'{name}_stamp'] = value, stamp
        stamp = stamps.get('joint_positions_stamp', max(stamps.values()))
        return Observation(stamp=stamp, **fields, **stamps), ''
