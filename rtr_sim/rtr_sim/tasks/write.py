"""``write``: trace a LASA handwriting shape, about 10 cm, on a board with a pen in contact.

The target shape is drawn on the board (a chain of thin flat boxes) so the camera sees what
to write. Each episode picks a shape from a configurable list and one of its seven human
demonstrations, and randomises the shape's position, rotation and drawing speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from rtr_core.datasets.lasa import DEMOS_PER_SHAPE, SHAPES, shape_path
from rtr_core.errors import RtrError

from ..arm.tools import PEN
from .base import Episode, EpisodeTrace, Task, TaskResult, nearest_distances
from .plan import contact_plan, eased_resample

BOARD_TOP = 0.01
MARKS = 96


@dataclass(frozen=True)
class WriteConfig:
    shapes: tuple[str, ...] = SHAPES
    size: float = 0.10  # metres across the larger side of the shape
    centre: tuple[float, float] = (0.5, 0.0)
    offset: float = 0.015  # +- metres of random shift
    rotation: float = 10.0  # +- degrees of random rotation
    speed: tuple[float, float] = (1.0, 1.25)  # drawing speed factors vs the human demo
    press_depth: float = 0.006  # metres below the board: 1.8 N with the pen's spring
    min_force: float = 0.1  # N: the pen writes when pressed at least this hard
    success_mean_mm: float = 2.0  # mean distance of the shape to the ink
    success_max_mm: float = 6.0  # largest gap and largest stray ink
    min_contact: float = 0.95  # fraction of the tracing time the pen must write


class WriteTask(Task):
    name = 'write'
    tool = PEN
    surface_z = BOARD_TOP

    def __init__(self, config: WriteConfig | None = None):
        self.config = config or WriteConfig()
        unknown = [s for s in self.config.shapes if s not in SHAPES]
        if unknown or not self.config.shapes:
            raise RtrError(f'write task: unknown LASA shapes {unknown}; expected a non-empty '
                           f'list from {", ".join(SHAPES)}')

    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        cx, cy = self.config.centre
        spec.worldbody.add_geom(name='board', type=mujoco.mjtGeom.mjGEOM_BOX,
                                pos=[cx, cy, BOARD_TOP / 2], size=[0.11, 0.11, BOARD_TOP / 2],
                                rgba=[0.97, 0.97, 0.95, 1], friction=[0.3, 0.005, 0.0001])
        for i in range(MARKS):
            spec.worldbody.add_geom(name=f'mark_{i}', type=mujoco.mjtGeom.mjGEOM_BOX,
                                    size=[0.001, 0.003, 0.0002], pos=[cx, cy, BOARD_TOP],
                                    rgba=[0.1, 0.2, 0.7, 1], contype=0, conaffinity=0)

    def new_episode(self, model, rng, start_tip, seed, rate) -> Episode:
        cfg = self.config
        shape = str(cfg.shapes[int(rng.integers(len(cfg.shapes)))])
        demo = int(rng.integers(DEMOS_PER_SHAPE))
        angle = np.deg2rad(rng.uniform(-cfg.rotation, cfg.rotation))
        offset = rng.uniform(-cfg.offset, cfg.offset, size=2)
        speed = float(rng.uniform(*cfg.speed))
        t, xy = shape_path(shape, demo, size=cfg.size, rate=240.0, speed=speed)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        xy = xy @ rot.T + np.asarray(cfg.centre) + offset
        surface = np.column_stack([xy, np.full(len(xy), BOARD_TOP)])
        path = eased_resample(t, surface, rate)
        times, tips, window = contact_plan(start_tip, path, cfg.press_depth, rate)
        self._draw(model, surface)
        params = {'shape': shape, 'demo': demo, 'rotation_deg': float(np.rad2deg(angle)),
                  'offset_m': [float(v) for v in offset], 'speed': speed,
                  'press_depth_m': cfg.press_depth}
        return Episode(self.name, seed, params, surface, times, tips, window)

    def _draw(self, model, surface: np.ndarray) -> None:
        """Lay the flat mark boxes along the shape (equal arc length per box)."""
        seg = np.linalg.norm(np.diff(surface, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        knots = np.interp(np.linspace(0, arc[-1], MARKS + 1), arc, np.arange(len(surface)))
        pts = np.array([[np.interp(k, np.arange(len(surface)), surface[:, d]) for d in range(3)]
                        for k in knots])
        for i in range(MARKS):
            a, b = pts[i], pts[i + 1]
            gid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f'mark_{i}')
            half_angle = 0.5 * np.arctan2(b[1] - a[1], b[0] - a[0])
            model.geom_pos[gid] = 0.5 * (a + b)
            model.geom_quat[gid] = [np.cos(half_angle), 0.0, 0.0, np.sin(half_angle)]
            model.geom_size[gid, 0] = 0.5 * float(np.linalg.norm(b - a)) + 0.001

    def evaluate(self, episode: Episode, trace: EpisodeTrace) -> TaskResult:
        cfg = self.config
        writing = trace.contact_force > cfg.min_force
        ink = trace.tip[writing, :2]
        ref = episode.reference[:, :2]
        to_ink = nearest_distances(ref, ink) * 1000.0
        stray = nearest_distances(ink, ref) * 1000.0 if len(ink) else np.array([np.inf])
        t0, t1 = episode.contact_window
        inside = (trace.times >= t0) & (trace.times <= t1)
        contact = float(np.mean(writing[inside])) if inside.any() else 0.0
        metrics = {
            'deviation_mean_mm': float(np.mean(to_ink)),
            'deviation_max_mm': float(np.max(to_ink)),
            'stray_max_mm': float(np.max(stray)),
            'contact_fraction': contact,
            'force_mean_n': float(np.mean(trace.contact_force[writing])) if len(ink) else 0.0,
        }
        success = (metrics['deviation_mean_mm'] <= cfg.success_mean_mm
                   and metrics['deviation_max_mm'] <= cfg.success_max_mm
                   and metrics['stray_max_mm'] <= cfg.success_max_mm
                   and contact >= cfg.min_contact)
        return TaskResult(bool(success), metrics)


