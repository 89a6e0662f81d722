"""Datasets from rosbag2 recordings; training of the action VAE and policies."""
