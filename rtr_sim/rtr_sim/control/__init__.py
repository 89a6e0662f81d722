"""Controllers that turn commands into desired joint states at the physics rate."""

from .forward import ForwardPositionController
from .jtc import JointTrajectoryController, TrajectoryRejected, hermite

__all__ = ['ForwardPositionController', 'JointTrajectoryController', 'TrajectoryRejected',
           'hermite']
