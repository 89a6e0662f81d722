"""Metrics in physical units (method.md section 6), one module used by every evaluation."""

from .deviation import deviation
from .latency import latency_stats
from .report import execution_metrics
from .seams import quiet_ticks, seam_gaps, seam_jerk, seam_ticks, shared_quiet_ticks
from .smoothness import jerk, jerk_per_step_stats, jerk_stats
from .speed import speed_tracking
from .stall import stall_stats
from .tracking import tracking_error

__all__ = ['deviation', 'execution_metrics', 'jerk', 'jerk_per_step_stats', 'jerk_stats',
           'latency_stats', 'quiet_ticks', 'seam_gaps', 'seam_jerk', 'seam_ticks',
           'shared_quiet_ticks', 'speed_tracking', 'stall_stats', 'tracking_error']
