"""rtr_sim_robot: the rtr_sim MuJoCo arm behind the topics of a ROS 2 robot (console script
``sim_robot``). ``config`` is ROS-free; ``robot_node`` needs rclpy."""
