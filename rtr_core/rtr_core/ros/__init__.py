"""rclpy glue the node modules share: how a node is spun, declares its parameters, logs its
lifecycle errors and reads high-rate topics. Needs rclpy: imported only by node modules
(rtr_policy_node, rtr_chunk_executor, rtr_sim.ros, rtr_bringup.ros), never by ROS-free code.
"""

from .latest import LatestMessage
from .lifecycle import declare_config_parameters, logged_transitions
from .spin import run_nodes

__all__ = ['LatestMessage', 'declare_config_parameters', 'logged_transitions', 'run_nodes']
