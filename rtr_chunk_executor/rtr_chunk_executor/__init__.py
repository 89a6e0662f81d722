"""ROS 2 lifecycle node: chunks in, Reuse-then-Refine, 60 Hz to ros2_control."""
