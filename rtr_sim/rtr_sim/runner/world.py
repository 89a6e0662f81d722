"""The simulated workcell of a task: arm + tool + the task's objects, compiled once."""

from __future__ import annotations

import mujoco

from ..arm.spec import ARM_XML
from ..arm.tools import attach_tool
from ..tasks.base import Task


def build_model(task: Task, physics_rate: float = 600.0, image_size=(96, 96)) -> mujoco.MjModel:
    """Compile the MuJoCo model for ``task`` with timestep ``1 / physics_rate``."""
    spec = mujoco.MjSpec.from_file(str(ARM_XML))
    attach_tool(spec, task.tool)
    task.add_to_scene(spec)
    spec.option.timestep = 1.0 / physics_rate
    spec.visual.global_.offwidth = max(int(image_size[0]), 96)
    spec.visual.global_.offheight = max(int(image_size[1]), 96)
    return spec.compile()
