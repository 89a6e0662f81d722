"""Metrics in physical units (method.md section 6), one module used by every evaluation."""

from .smoothness import jerk, jerk_stats

__all__ = ['jerk', 'jerk_stats']
