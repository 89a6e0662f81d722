"""The arm's joint names and limits, read from ``assets/arm.xml`` (their only source).

The executor's safety limits, the URDF for ROS and the bringup YAML must match these; tests
compare them against this API rather than against copied numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from rtr_core.errors import RtrError

ARM_XML = Path(__file__).resolve().parent.parent / 'assets' / 'arm.xml'


@dataclass(frozen=True)
class ArmSpec:
    """Joint names and limits of the arm, in joint order (rad, rad/s, rad/s^2, rad/s^3, N m)."""

    joint_names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    max_velocity: np.ndarray
    max_acceleration: np.ndarray
    max_jerk: np.ndarray
    max_effort: np.ndarray
    home: np.ndarray

    @property
    def dof(self) -> int:
        return len(self.joint_names)

    def within_limits(self, q, margin: float = 0.0) -> bool:
        q = np.asarray(q, dtype=np.float64)
        return bool(np.all(q >= self.lower + margin) and np.all(q <= self.upper - margin))


def _numeric(model: mujoco.MjModel, name: str) -> float:
    idx = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_NUMERIC, name)
    if idx < 0:
        raise RtrError(f'{ARM_XML}: custom numeric {name!r} missing; every joint needs '
                       'max_velocity, max_acceleration and max_jerk')
    return float(model.numeric_data[model.numeric_adr[idx]])


def spec_from_model(model: mujoco.MjModel) -> ArmSpec:
    """Read the spec of the arm's hinge joints (those with an actuator of the same name)."""
    names, lower, upper, vel, acc, jerk, effort, qadr = [], [], [], [], [], [], [], []
    for a in range(model.nu):
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, a)
        j = model.actuator_trnid[a, 0]
        if mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) != name:
            raise RtrError(f'{ARM_XML}: actuator {name!r} must drive the joint of its name')
        names.append(name)
        lower.append(model.jnt_range[j, 0])
        upper.append(model.jnt_range[j, 1])
        vel.append(_numeric(model, f'{name}/max_velocity'))
        acc.append(_numeric(model, f'{name}/max_acceleration'))
        jerk.append(_numeric(model, f'{name}/max_jerk'))
        effort.append(model.actuator_forcerange[a, 1])
        qadr.append(model.jnt_qposadr[j])
    key = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_KEY, 'home')
    if key < 0:
        raise RtrError(f'{ARM_XML}: keyframe "home" missing')
    home = model.key_qpos[key][qadr]
    arr = functools.partial(np.array, dtype=np.float64)
    return ArmSpec(tuple(names), arr(lower), arr(upper), arr(vel), arr(acc), arr(jerk),
                   arr(effort), arr(home))


@functools.cache
def _cached_spec() -> ArmSpec:
    return spec_from_model(mujoco.MjModel.from_xml_path(str(ARM_XML)))


def arm_spec() -> ArmSpec:
    """The arm's joint names and limits (read once from ``assets/arm.xml``)."""
    return _cached_spec()
