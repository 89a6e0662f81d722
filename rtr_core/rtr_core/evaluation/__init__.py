"""Offline evaluation: representation comparison, chunk-stream replay, open-loop, reports."""
