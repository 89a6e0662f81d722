"""Running a policy beside a robot: latest inputs, and inference in a worker thread
triggered by the executor's state (used by the ROS policy node and real-time runs)."""

from .inputs import LatestInputs
from .worker import InferenceStats, InferenceWorker

__all__ = ['InferenceStats', 'InferenceWorker', 'LatestInputs']
