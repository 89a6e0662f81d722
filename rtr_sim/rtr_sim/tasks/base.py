"""What every task provides: a scene, randomised episodes with a reference path, a score."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import mujoco
import numpy as np

from ..arm.tools import Tool


@dataclass(frozen=True)
class Episode:
    """One randomised instance of a task.

    ``reference`` is the path the tool tip must trace on the surface (world frame, metres);
    ``plan_tip`` is the tip path the scripted expert follows (approach, press, trace, lift)
    sampled at the control rate from the episode start; the tip should be in contact
    during ``contact_window`` (seconds from the episode start).
    """

    task: str
    seed: int
    params: dict
    reference: np.ndarray  # (N, 3)
    plan_times: np.ndarray  # (M,)
    plan_tip: np.ndarray  # (M, 3)
    contact_window: tuple[float, float]

    @property
    def duration(self) -> float:
        return float(self.plan_times[-1])


@dataclass(frozen=True)
class EpisodeTrace:
    """What happened, one row per control tick: what evaluations and the recorder need."""

    times: np.ndarray  # (T,) s
    position: np.ndarray  # (T, J) measured joint positions
    velocity: np.ndarray  # (T, J) measured joint velocities
    desired: np.ndarray  # (T, J) the controller's desired positions
    tip: np.ndarray  # (T, 3) contact point of the tool tip, world frame
    contact_force: np.ndarray  # (T,) normal force between the tip and the surface, N

    def save(self, path) -> None:
        """Write the trace as an npz file (atomically: a reader never sees half of it)."""
        import dataclasses
        import io

        from rtr_core.atomic import write_bytes

        buffer = io.BytesIO()
        np.savez(buffer, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path) -> EpisodeTrace:
        import dataclasses

        with np.load(path) as npz:
            return cls(**{f.name: npz[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class TaskResult:
    success: bool
    metrics: dict = field(default_factory=dict)  # name -> float, JSON-able


class Task(ABC):
    """A task: builds its objects into the scene, makes episodes, scores traces."""

    name: str
    tool: Tool
    surface_z: float  # height of the surface the tool works on, metres

    @abstractmethod
    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        """Add the task's objects (surfaces, visible marks) to the model being built."""

    @abstractmethod
    def new_episode(self, model: mujoco.MjModel, rng: np.random.Generator, start_tip,
                    seed: int, rate: float) -> Episode:
        """A randomised episode; also sets the visible marks of the scene in ``model``."""

    def on_tick(self, model: mujoco.MjModel, tip, contact_force: float) -> None:
        """Update the visible scene from the tool's effect (e.g. wiped dirt disappears)."""
        return None

    @abstractmethod
    def evaluate(self, episode: Episode, trace: EpisodeTrace) -> TaskResult:
        """Success and metrics of ``trace`` against ``episode``."""


def nearest_distances(points: np.ndarray, to: np.ndarray) -> np.ndarray:
    """For each of ``points`` (N, D) the distance to the nearest of ``to`` (M, D)."""
    if len(to) == 0:
        return np.full(len(points), np.inf)
    out = np.empty(len(points))
    for i in range(0, len(points), 256):
        d = points[i:i + 256, None, :] - to[None, :, :]
        out[i:i + 256] = np.sqrt(np.min(np.einsum('nmd,nmd->nm', d, d), axis=1))
    return out
