"""Executor configuration: rates, joints, limits, trigger and boundary strategy in one place.

Defaults run as they are (7 joints named joint_1..joint_7, 60 Hz, generous limits); a robot's
real values come from the bringup YAML through :meth:`ExecutorConfig.from_dict`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..boundary.config import BoundaryConfig
from ..config import ConfigError, from_dict

DEFAULT_JOINTS = tuple(f'joint_{i}' for i in range(1, 8))
TRIGGER_MODES = ('threshold', 'after_result', 'sync')
MAX_HISTORY_TICKS = 100_000  # 28 min at 60 Hz: more is a typo that would allocate gigabytes
MAX_SECONDS = 3600.0  # bound of the duration fields (NaN and inf are refused too)


class ExecutorConfigError(ConfigError):
    """An executor configuration that cannot run (names the field and what was expected)."""


@dataclass(frozen=True)
class SafetyConfig:
    """Limits enforced on every command, whatever the strategy.

    Scalars apply to every joint; a sequence gives one value per joint (in the executor's
    joint order). ``max_step`` is the largest position change in one tick.
    """

    position_lower: float | tuple[float, ...] = -math.pi
    position_upper: float | tuple[float, ...] = math.pi
    max_velocity: float | tuple[float, ...] = 3.0  # unit/s
    max_acceleration: float | tuple[float, ...] = 40.0  # unit/s^2
    max_jerk: float | tuple[float, ...] = 5000.0  # unit/s^3
    max_step: float | tuple[float, ...] = 0.05  # unit per tick
    hold_deceleration: float = 0.5  # fraction of max_acceleration used to stop when holding


@dataclass(frozen=True)
class TriggerConfig:
    """When the policy side should start a new inference (method.md section 3).

    ``threshold``: when planned actions left <= ``threshold`` (the seed's async24 is
    threshold 24 with H = 48). ``after_result``: at once after every result. ``sync``: only
    when nothing is left to execute (stop-and-go).
    """

    mode: str = 'threshold'
    threshold: int = 24


@dataclass(frozen=True)
class ExecutorConfig:
    joint_names: tuple[str, ...] = DEFAULT_JOINTS
    control_period: float = 1.0 / 60.0
    strategy: str = 'rtr'
    window_duration: float = 0.3  # seconds of plan streamed to the JTC each tick (0: none)
    history_ticks: int = 256  # executed ticks kept for reuse and analysis
    splice_lead_ticks: int = 1  # earliest splice = last executed tick + this
    # s: a chunk stamped (or starting) further ahead of the executor's clock is rejected, and
    # a jump of the clock by more than this (e.g. a bag replay restarting) re-bases the timeline
    clock_tolerance: float = 0.5
    max_chunk_duration: float = 10.0  # s: the longest time span one chunk may cover
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    trigger: TriggerConfig = field(default_factory=TriggerConfig)
    boundary: BoundaryConfig = field(default_factory=BoundaryConfig)

    def __post_init__(self) -> None:
        names = tuple(self.joint_names)
        object.__setattr__(self, 'joint_names', names)
        if not names or len(set(names)) != len(names):
            raise ExecutorConfigError(f'executor joint_names: expected unique names, got '
                                      f'{list(names)}')
        if not (self.control_period > 0 and math.isfinite(self.control_period)):
            raise ExecutorConfigError(f'executor control_period: expected a positive period '
                                      f'in seconds, got {self.control_period}')
        if self.trigger.mode not in TRIGGER_MODES:
            raise ExecutorConfigError(f'executor trigger.mode: {self.trigger.mode!r}; expected '
                                      f'one of {", ".join(TRIGGER_MODES)}')
        if not 4 <= self.history_ticks <= MAX_HISTORY_TICKS:
            raise ExecutorConfigError(f'executor history_ticks: expected an integer in [4, '
                                      f'{MAX_HISTORY_TICKS}], got {self.history_ticks}')
        for name, most in (('window_duration', MAX_SECONDS), ('clock_tolerance', MAX_SECONDS),
                           ('max_chunk_duration', MAX_SECONDS)):
            value = getattr(self, name)
            if not (0 <= value <= most) or (name != 'window_duration' and value == 0):
                raise ExecutorConfigError(f'executor {name}: expected seconds in '
                                          f'{"[0" if name == "window_duration" else "(0"}, '
                                          f'{most}], got {value}')
        # a splice further ahead than the longest chunk would reject every chunk as stale
        most = int(self.max_chunk_duration / self.control_period)
        if not 1 <= self.splice_lead_ticks <= most:
            raise ExecutorConfigError(f'executor splice_lead_ticks: expected an integer in [1, '
                                      f'{most}] (max_chunk_duration / control_period), got '
                                      f'{self.splice_lead_ticks}')
        if self.trigger.threshold < 0:
            raise ExecutorConfigError(f'executor trigger.threshold: expected >= 0, got '
                                      f'{self.trigger.threshold}')
        for name in ('position_lower', 'position_upper', 'max_velocity', 'max_acceleration',
                     'max_jerk', 'max_step'):
            self.limit(name)
        if np.any(self.limit('position_lower') >= self.limit('position_upper')):
            raise ExecutorConfigError('executor safety: position_lower must be below '
                                      'position_upper for every joint')
        for name in ('max_velocity', 'max_acceleration', 'max_jerk', 'max_step'):
            if np.any(self.limit(name) <= 0):
                raise ExecutorConfigError(f'executor safety.{name}: expected positive values')
        if not 0 < self.safety.hold_deceleration <= 1:
            raise ExecutorConfigError('executor safety.hold_deceleration: expected (0, 1]')

    @property
    def window_ticks(self) -> int:
        return int(round(self.window_duration / self.control_period))

    def limit(self, name: str) -> np.ndarray:
        """One value per joint for the safety field ``name``."""
        value = np.asarray(getattr(self.safety, name), dtype=np.float64).reshape(-1)
        if value.size == 1:
            value = np.full(len(self.joint_names), float(value[0]))
        if value.size != len(self.joint_names) or not np.all(np.isfinite(value)):
            raise ExecutorConfigError(f'executor safety.{name}: expected one finite value or '
                                      f'{len(self.joint_names)} (one per joint), got '
                                      f'{getattr(self.safety, name)!r}')
        return value

    @classmethod
    def from_dict(cls, data: dict, where: str = 'executor config') -> ExecutorConfig:
        """Build from nested plain data (YAML), strictly: see :mod:`rtr_core.config`."""
        return from_dict(cls, data, where)
