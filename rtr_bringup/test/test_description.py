"""The ROS description and controller config match the simulated arm (their one source)."""

import xml.etree.ElementTree as ET
from pathlib import Path

import mujoco
import numpy as np
import pytest
import yaml

from rtr_bringup.description import FT_FRAME, FT_SENSOR, TIP_BODY, urdf_xacro
from rtr_sim.arm.spec import ARM_XML, arm_spec

BRINGUP = Path(__file__).resolve().parents[1]
XACRO = BRINGUP / 'urdf' / 'rtr_arm.urdf.xacro'


def robot():
    return ET.parse(XACRO).getroot()


def test_committed_description_is_up_to_date():
    assert XACRO.read_text() == urdf_xacro(), (
        'rtr_arm.urdf.xacro is stale: run python -m rtr_bringup.description '
        'rtr_bringup/urdf/rtr_arm.urdf.xacro')


def test_joints_and_limits_match_the_sim():
    spec = arm_spec()
    joints = {j.get('name'): j for j in robot().findall('joint') if j.get('type') == 'revolute'}
    assert tuple(joints) == spec.joint_names
    for i, name in enumerate(spec.joint_names):
        lim = joints[name].find('limit')
        assert float(lim.get('lower')) == pytest.approx(spec.lower[i], abs=1e-6)
        assert float(lim.get('upper')) == pytest.approx(spec.upper[i], abs=1e-6)
        assert float(lim.get('velocity')) == pytest.approx(spec.max_velocity[i], abs=1e-6)
    control = robot().find('ros2_control')
    assert [j.get('name') for j in control.findall('joint')] == list(spec.joint_names)
    sensor = control.find('sensor')
    assert sensor.get('name') == FT_SENSOR
    assert len(sensor.findall('state_interface')) == 6


def _rot(rpy):
    r, p, y = rpy
    rx = np.array([[1, 0, 0], [0, np.cos(r), -np.sin(r)], [0, np.sin(r), np.cos(r)]])
    ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
    rz = np.array([[np.cos(y), -np.sin(y), 0], [np.sin(y), np.cos(y), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _axis_angle(axis, angle):
    k = np.asarray(axis) / np.linalg.norm(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


def urdf_fk(q_by_name, link):
    """Pose of ``link`` in world by chaining the URDF joints."""
    joints = {j.find('child').get('link'): j for j in robot().findall('joint')}
    chain = []
    while link in joints:
        chain.append(joints[link])
        link = joints[link].find('parent').get('link')
    pos, rot = np.zeros(3), np.eye(3)
    for j in reversed(chain):
        o = j.find('origin')
        xyz = np.array([float(v) for v in o.get('xyz').split()])
        rpy = np.array([float(v) for v in o.get('rpy').split()])
        pos, rot = pos + rot @ xyz, rot @ _rot(rpy)
        if j.get('type') == 'revolute':
            axis = [float(v) for v in j.find('axis').get('xyz').split()]
            rot = rot @ _axis_angle(axis, q_by_name[j.get('name')])
    return pos, rot


def test_urdf_kinematics_match_mujoco():
    model = mujoco.MjModel.from_xml_path(str(ARM_XML))
    data = mujoco.MjData(model)
    spec = arm_spec()
    rng = np.random.default_rng(0)
    tip = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, TIP_BODY)
    for _ in range(5):
        q = rng.uniform(spec.lower, spec.upper)
        for name, value in zip(spec.joint_names, q, strict=True):
            data.qpos[model.jnt_qposadr[model.joint(name).id]] = value
        mujoco.mj_kinematics(model, data)
        pos, rot = urdf_fk(dict(zip(spec.joint_names, q, strict=True)), FT_FRAME)
        np.testing.assert_allclose(pos, data.xpos[tip], atol=1e-6)
        np.testing.assert_allclose(rot, data.xmat[tip].reshape(3, 3), atol=1e-6)


def test_controllers_yaml_matches_the_sim():
    cfg = yaml.safe_load((BRINGUP / 'config' / 'controllers.yaml').read_text())
    names = list(arm_spec().joint_names)
    jtc = cfg['joint_trajectory_controller']['ros__parameters']
    assert jtc['joints'] == names
    assert jtc['command_interfaces'] == ['position']
    assert jtc['interpolate_from_desired_state'] is True
    assert jtc['allow_nonzero_velocity_at_trajectory_end'] is True
    assert cfg['forward_position_controller']['ros__parameters']['joints'] == names
    fts = cfg['force_torque_sensor_broadcaster']['ros__parameters']
    assert (fts['sensor_name'], fts['frame_id']) == (FT_SENSOR, FT_FRAME)
    types = cfg['controller_manager']['ros__parameters']
    for name in ('joint_state_broadcaster', 'joint_trajectory_controller',
                 'forward_position_controller', 'force_torque_sensor_broadcaster'):
        assert '/' in types[name]['type']
