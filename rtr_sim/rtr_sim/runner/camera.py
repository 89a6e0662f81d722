"""The fixed workcell camera, rendered off-screen, small and without shadows or reflections.

At 96x96 with shadows and reflections off, software rendering runs at 1,000+ frames/s
instead of about 50 (design/machine.md).
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from .observation import CameraIntrinsics

CAMERA = 'camera'


class Camera:
    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        self._renderer = mujoco.Renderer(model, height=height, width=width)
        flags = self._renderer.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        cam = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERA)
        f = 0.5 * height / math.tan(math.radians(model.cam_fovy[cam]) / 2)
        self.intrinsics = CameraIntrinsics(width, height, f, f, (width - 1) / 2,
                                           (height - 1) / 2)

    def render(self, data: mujoco.MjData) -> np.ndarray:
        self._renderer.update_scene(data, CAMERA)
        return self._renderer.render().copy()

    def close(self) -> None:
        self._renderer.close()
