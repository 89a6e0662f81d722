"""The rtr method as a ROS-free library: VAE, policies, executor, metrics, bag I/O."""
