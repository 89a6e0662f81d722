"""Launch files, configuration, robot description and the rtr command line."""
