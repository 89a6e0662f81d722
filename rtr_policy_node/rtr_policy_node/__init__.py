"""ROS 2 lifecycle node: observations in, rtr_msgs/ActionChunk out."""
