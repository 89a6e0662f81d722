"""The chunk executor: timeline, boundary strategies, safety and trigger logic."""
