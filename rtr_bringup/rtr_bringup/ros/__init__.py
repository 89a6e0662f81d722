"""The rtr nodes composed in one process (needs rclpy): console script ``rtr_graph``."""
