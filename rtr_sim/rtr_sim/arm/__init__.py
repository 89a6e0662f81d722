"""The arm: joint names and limits (from assets/arm.xml), tools, kinematics."""

from .kinematics import TOOL_DOWN, IKConfig, IKError, Kinematics
from .spec import ARM_XML, ArmSpec, arm_spec, spec_from_model
from .tools import PEN, SPONGE, TOOLS, Tool, attach_tool

__all__ = ['ARM_XML', 'PEN', 'SPONGE', 'TOOLS', 'TOOL_DOWN', 'ArmSpec', 'IKConfig', 'IKError',
           'Kinematics', 'Tool', 'arm_spec', 'attach_tool', 'spec_from_model']
