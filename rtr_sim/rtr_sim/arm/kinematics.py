"""Forward and inverse kinematics of the arm with its tool, on MuJoCo's own model.

Uses a private ``MjData`` so it never disturbs a running simulation. The tip is the
contact point of the uncompressed tool (site ``tip_nominal``).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from rtr_core.errors import RtrError

from .spec import ArmSpec, spec_from_model
from .tools import NOMINAL_TIP_SITE

#: Tool pointing straight down, tool x along world -x (as at home): every task uses it.
TOOL_DOWN = np.array([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])


class IKError(RtrError):
    """A tool pose the arm cannot reach within its joint limits."""


@dataclass(frozen=True)
class IKConfig:
    tolerance: float = 1e-5  # metres / radians
    max_iterations: int = 100
    damping: float = 1e-3
    posture_gain: float = 0.05  # pull toward the home posture in the null space


class Kinematics:
    """Joint positions -> tool tip pose, and tool tip pose -> joint positions."""

    def __init__(self, model: mujoco.MjModel, spec: ArmSpec | None = None,
                 ik: IKConfig | None = None):
        self.model = model
        self.spec = spec or spec_from_model(model)
        self.ik_config = ik or IKConfig()
        self._data = mujoco.MjData(model)
        self._site = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, NOMINAL_TIP_SITE)
        if self._site < 0:
            raise RtrError(f'model has no site {NOMINAL_TIP_SITE!r}: build it with a tool')
        joints = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n)
                  for n in self.spec.joint_names]
        self.qpos_index = np.array([model.jnt_qposadr[j] for j in joints])
        self.dof_index = np.array([model.jnt_dofadr[j] for j in joints])
        self._jacp = np.zeros((3, model.nv))
        self._jacr = np.zeros((3, model.nv))

    def _set(self, q) -> None:
        self._data.qpos[:] = 0.0
        self._data.qpos[self.qpos_index] = q
        mujoco.mj_kinematics(self.model, self._data)

    def tip_pose(self, q) -> tuple[np.ndarray, np.ndarray]:
        """(position (3,), rotation matrix (3, 3)) of the tool tip in the world frame."""
        self._set(np.asarray(q, dtype=np.float64))
        return (self._data.site_xpos[self._site].copy(),
                self._data.site_xmat[self._site].reshape(3, 3).copy())

    def tip_positions(self, q) -> np.ndarray:
        """Tip positions (N, 3) for joint positions (N, J): end-effector metrics from joints."""
        q = np.atleast_2d(np.asarray(q, dtype=np.float64))
        out = np.empty((q.shape[0], 3))
        for i, qi in enumerate(q):
            self._set(qi)
            out[i] = self._data.site_xpos[self._site]
        return out

    def solve(self, position, rotation=TOOL_DOWN, q0=None) -> np.ndarray:
        """Joint positions putting the tip at ``position`` with ``rotation``.

        Damped least squares from ``q0`` (default home) with a null-space pull toward home,
        clipped to the joint limits; raises :class:`IKError` when it does not converge.
        """
        cfg = self.ik_config
        target_p = np.asarray(position, dtype=np.float64)
        target_r = np.asarray(rotation, dtype=np.float64)
        q = np.array(self.spec.home if q0 is None else q0, dtype=np.float64)
        lo, hi = self.spec.lower, self.spec.upper
        eye = np.eye(len(q))
        err = np.inf
        for _ in range(cfg.max_iterations):
            self._set(q)
            p = self._data.site_xpos[self._site]
            r = self._data.site_xmat[self._site].reshape(3, 3)
            e = np.concatenate([target_p - p, 0.5 * np.cross(r, target_r, axis=0).sum(axis=1)])
            err = float(np.max(np.abs(e)))
            if err < cfg.tolerance:
                return q
            mujoco.mj_comPos(self.model, self._data)
            mujoco.mj_jacSite(self.model, self._data, self._jacp, self._jacr, self._site)
            jac = np.vstack([self._jacp[:, self.dof_index], self._jacr[:, self.dof_index]])
            jjt = jac @ jac.T + cfg.damping ** 2 * np.eye(6)
            pinv = jac.T @ np.linalg.solve(jjt, np.eye(6))
            dq = pinv @ e + (eye - pinv @ jac) @ (cfg.posture_gain * (self.spec.home - q))
            step = float(np.max(np.abs(dq)))
            q = np.clip(q + dq * min(1.0, 0.5 / max(step, 1e-12)), lo, hi)
        raise IKError(f'inverse kinematics did not reach tip position {target_p.round(4)} '
                      f'(error {err:.2e} after {cfg.max_iterations} iterations)')
