"""Rates and modes of a simulation run."""

from __future__ import annotations

from dataclasses import dataclass

from rtr_core.errors import RtrError


@dataclass(frozen=True)
class RunnerConfig:
    physics_rate: float = 600.0  # Hz; an integer multiple of control_rate
    control_rate: float = 60.0  # Hz: joint states, wrench, commands
    camera_rate: float = 30.0  # Hz; control_rate must be a multiple of it
    image_width: int = 96
    image_height: int = 96
    render: bool = True  # False: no camera images (faster)
    realtime: bool = False  # True: pace simulated time with the wall clock

    def __post_init__(self):
        steps = self.physics_rate / self.control_rate
        if self.physics_rate < 500 or abs(steps - round(steps)) > 1e-9:
            raise RtrError(f'RunnerConfig.physics_rate: expected >= 500 Hz and a multiple of '
                           f'control_rate {self.control_rate} Hz, got {self.physics_rate}')
        ticks = self.control_rate / self.camera_rate
        if self.camera_rate <= 0 or abs(ticks - round(ticks)) > 1e-9:
            raise RtrError(f'RunnerConfig.camera_rate: expected a divisor of control_rate '
                           f'{self.control_rate} Hz, got {self.camera_rate}')

    @property
    def steps_per_tick(self) -> int:
        return int(round(self.physics_rate / self.control_rate))

    @property
    def ticks_per_frame(self) -> int:
        return int(round(self.control_rate / self.camera_rate))
