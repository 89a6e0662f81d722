"""The simulated robot behind ROS 2 topics. ``config`` is ROS-free; ``robot_node`` needs rclpy
(console script ``sim_robot``)."""
