"""rtr_ros: the rclpy glue the rtr nodes share, a module an idea: ``spin`` (how a node is
spun), ``lifecycle`` (parameters from a typed config, logged transitions, what a node
configured destroyed together), ``latest`` (high-rate topics read on demand). Beside them,
two tools that drive nodes over DDS: ``bag_player`` (a rosbag2 player) and ``graph_run``
(one closed-loop episode of the graph).

Needs rclpy: imported by the node packages (rtr_policy_node, rtr_chunk_executor,
rtr_sim_robot), rtr_bringup's ``rtr_graph``, tests and the ROS benchmark; never by the
ROS-free packages (rtr_core, rtr_sim, rtr_training, the ``rtr`` command line).
"""
