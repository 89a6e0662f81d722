"""Tools mounted at the wrist behind the force/torque sensor: a pen and a sponge.

Each tool has a spring-loaded tip (a passive slide joint along the tool axis), like a
compliant pen holder or a foam sponge: pressing the tip ``c`` metres into a surface pushes
with about ``stiffness * c`` newtons whatever the arm's stiffness, which is what lets a
position-controlled arm keep a contact force in a band.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco

TIP_JOINT = 'tool_compliance'
TIP_GEOM = 'tool_tip'
TIP_SITE = 'tip'  # the contact point, moves with the spring
NOMINAL_TIP_SITE = 'tip_nominal'  # the contact point of the uncompressed tool, rigid


@dataclass(frozen=True)
class Tool:
    name: str
    length: float  # tool mount to the contact point of the uncompressed tip, metres
    stiffness: float  # N/m of the tip spring
    travel: float  # how far the tip can be pushed in, metres
    friction: float
    tip_shape: str  # 'sphere' or 'box'
    tip_size: tuple[float, ...]  # MuJoCo geom size of the tip
    rgba: tuple[float, float, float, float]


PEN = Tool('pen', length=0.16, stiffness=300.0, travel=0.02, friction=0.15,
           tip_shape='sphere', tip_size=(0.004,), rgba=(0.1, 0.1, 0.5, 1.0))
SPONGE = Tool('sponge', length=0.12, stiffness=1000.0, travel=0.02, friction=0.3,
              tip_shape='box', tip_size=(0.03, 0.03, 0.012), rgba=(0.95, 0.8, 0.1, 1.0))
TOOLS = {t.name: t for t in (PEN, SPONGE)}


def attach_tool(spec: mujoco.MjSpec, tool: Tool) -> None:
    """Add ``tool`` under the arm's ``tool_mount`` body (tool axis = mount +z)."""
    mount = spec.body('tool_mount')
    holder = mount.add_body(name='tool')
    holder.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[0.025, 0.02, 0],
                    pos=[0, 0, 0.02], mass=0.15, rgba=[0.2, 0.2, 0.22, 1],
                    contype=0, conaffinity=0)
    tip_height = tool.tip_size[-1] if tool.tip_shape == 'box' else tool.tip_size[0]
    centre = tool.length - tip_height
    holder.add_site(name=NOMINAL_TIP_SITE, pos=[0, 0, tool.length], size=[0.002, 0, 0])
    tip = holder.add_body(name='tool_tip_body')
    tip.add_joint(name=TIP_JOINT, type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, 0, -1],
                  stiffness=tool.stiffness, damping=2.0 * (tool.stiffness * 0.06) ** 0.5,
                  range=[0, tool.travel], limited=mujoco.mjtLimited.mjLIMITED_TRUE,
                  armature=0.01)
    shaft = 0.5 * (centre - 0.04)
    tip.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, pos=[0, 0, 0.04 + shaft],
                 size=[0.008 if tool.tip_shape == 'sphere' else 0.012, shaft, 0], mass=0.03,
                 rgba=list(tool.rgba), contype=0, conaffinity=0)
    geom_type = (mujoco.mjtGeom.mjGEOM_SPHERE if tool.tip_shape == 'sphere'
                 else mujoco.mjtGeom.mjGEOM_BOX)
    size = list(tool.tip_size) + [0.0] * (3 - len(tool.tip_size))
    tip.add_geom(name=TIP_GEOM, type=geom_type, size=size, pos=[0, 0, centre], mass=0.02,
                 rgba=list(tool.rgba), friction=[tool.friction, 0.005, 0.0001],
                 condim=3, solref=[0.02, 1.0], contype=1, conaffinity=1)
    tip.add_site(name=TIP_SITE, pos=[0, 0, tool.length], size=[0.002, 0, 0])
    spec.add_sensor(name='ft_force', type=mujoco.mjtSensor.mjSENS_FORCE,
                    objtype=mujoco.mjtObj.mjOBJ_SITE, objname='ft_sensor')
    spec.add_sensor(name='ft_torque', type=mujoco.mjtSensor.mjSENS_TORQUE,
                    objtype=mujoco.mjtObj.mjOBJ_SITE, objname='ft_sensor')
