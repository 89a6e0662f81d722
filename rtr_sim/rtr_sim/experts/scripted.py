"""The scripted expert: inverse kinematics on the episode's tip plan, streamed as JTC windows.

Every control tick it sends the next ``window`` seconds of its joint plan with positions and
velocities, the first point at ``1 / rate`` (the next tick's target), exactly as the
executor will: a recording's commanded stream is therefore an action stream.
"""

from __future__ import annotations

import numpy as np

from rtr_core.trajectory import TrajectoryWindow

from ..arm.kinematics import TOOL_DOWN, Kinematics
from ..tasks.base import Episode


class ScriptedExpert:
    def __init__(self, kinematics: Kinematics, episode: Episode, rate: float = 60.0,
                 window: float = 0.25):
        self.joint_names = kinematics.spec.joint_names
        self.dt = 1.0 / rate
        self.window_points = max(1, int(round(window * rate)))
        q = kinematics.spec.home
        plan = np.empty((len(episode.plan_tip), len(q)))
        for i, tip in enumerate(episode.plan_tip):
            q = kinematics.solve(tip, TOOL_DOWN, q0=q)
            plan[i] = q
        self.positions = plan
        self.velocities = np.gradient(plan, self.dt, axis=0)
        self.velocities[[0, -1]] = 0.0

    @property
    def ticks(self) -> int:
        """Number of ticks the plan lasts (its last target is for this tick)."""
        return len(self.positions) - 1

    def window(self, tick: int) -> TrajectoryWindow:
        """The window sent at ``tick``: targets for ticks ``tick + 1`` onwards."""
        idx = np.minimum(np.arange(tick + 1, tick + 1 + self.window_points), self.ticks)
        times = self.dt * np.arange(1, self.window_points + 1)
        vel = self.velocities[idx].copy()
        vel[idx >= self.ticks] = 0.0
        return TrajectoryWindow(self.joint_names, times, self.positions[idx], vel)
