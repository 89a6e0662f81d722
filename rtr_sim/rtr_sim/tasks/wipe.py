"""``wipe``: wipe a dirty region of a surface in continuous strokes, force kept in a band.

The region (visible as brown dirt cells that vanish where the sponge passes in contact) is
randomised in size and position per episode. The expert wipes it in one continuous
serpentine stroke with rounded turns, pressing the sponge to a target force.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from ..arm.tools import SPONGE
from .base import Episode, EpisodeTrace, Task, TaskResult
from .plan import contact_plan, eased_resample

SURFACE_TOP = 0.01
CELLS = (6, 8)  # dirt cells along x and y
FOOTPRINT = 0.03  # radius of the disc the square sponge (6 cm) surely covers


@dataclass(frozen=True)
class WipeConfig:
    centre: tuple[float, float] = (0.5, 0.0)
    size_x: tuple[float, float] = (0.10, 0.14)  # region extent along x, metres (range)
    size_y: tuple[float, float] = (0.12, 0.16)
    offset: float = 0.02  # +- metres of random shift of the region
    speed: tuple[float, float] = (0.08, 0.11)  # stroke speed, m/s
    lane_spacing: float = 0.04  # largest distance between strokes (footprint 6 cm)
    press_depth: float = 0.008  # metres below the surface: 8 N with the sponge's spring
    force_band: tuple[float, float] = (3.0, 15.0)  # N
    min_force: float = 0.5  # N: in contact
    success_coverage: float = 0.95  # fraction of the region wiped
    success_in_band: float = 0.9  # fraction of the stroke time with the force in the band
    min_contact: float = 0.95  # fraction of the stroke time in contact (continuous strokes)


class WipeTask(Task):
    name = 'wipe'
    tool = SPONGE
    surface_z = SURFACE_TOP

    def __init__(self, config: WipeConfig | None = None):
        self.config = config or WipeConfig()
        self._cells: list[tuple[int, np.ndarray]] = []

    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        cx, cy = self.config.centre
        spec.worldbody.add_geom(name='counter', type=mujoco.mjtGeom.mjGEOM_BOX,
                                pos=[cx, cy, SURFACE_TOP / 2],
                                size=[0.16, 0.2, SURFACE_TOP / 2], rgba=[0.8, 0.82, 0.85, 1],
                                friction=[0.3, 0.005, 0.0001])
        for i in range(CELLS[0] * CELLS[1]):
            spec.worldbody.add_geom(name=f'dirt_{i}', type=mujoco.mjtGeom.mjGEOM_BOX,
                                    size=[0.01, 0.01, 0.0005], pos=[cx, cy, SURFACE_TOP],
                                    rgba=[0.45, 0.3, 0.12, 1], contype=0, conaffinity=0)

    def region(self, episode: Episode) -> tuple[np.ndarray, np.ndarray]:
        """(lower corner, upper corner) of the dirty region, xy metres."""
        return np.array(episode.params['region_lo']), np.array(episode.params['region_hi'])

    def new_episode(self, model, rng, start_tip, seed, rate) -> Episode:
        cfg = self.config
        size = np.array([rng.uniform(*cfg.size_x), rng.uniform(*cfg.size_y)])
        centre = np.asarray(cfg.centre) + rng.uniform(-cfg.offset, cfg.offset, size=2)
        lo, hi = centre - size / 2, centre + size / 2
        speed = float(rng.uniform(*cfg.speed))
        xy = serpentine(lo, hi, cfg.lane_spacing, FOOTPRINT)
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
        surface = np.column_stack([xy, np.full(len(xy), SURFACE_TOP)])
        path = eased_resample(arc / speed, surface, rate, ramp=0.4)
        times, tips, window = contact_plan(start_tip, path, cfg.press_depth, rate)
        self._lay_dirt(model, lo, hi)
        params = {'region_lo': [float(v) for v in lo], 'region_hi': [float(v) for v in hi],
                  'speed_m_s': speed, 'press_depth_m': cfg.press_depth,
                  'force_band_n': list(cfg.force_band)}
        return Episode(self.name, seed, params, surface, times, tips, window)

    def _lay_dirt(self, model, lo, hi) -> None:
        nx, ny = CELLS
        half = (hi - lo) / np.array([nx, ny]) / 2
        self._cells = []
        for i in range(nx * ny):
            gid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f'dirt_{i}')
            centre = lo + half * (2 * np.array([i % nx, i // nx]) + 1)
            model.geom_pos[gid, :2] = centre
            model.geom_size[gid, :2] = half * 0.98
            model.geom_rgba[gid, 3] = 1.0
            self._cells.append((gid, centre))

    def on_tick(self, model, tip, contact_force: float) -> None:
        if contact_force < self.config.min_force:
            return
        for gid, centre in self._cells:
            if np.hypot(*(centre - tip[:2])) <= FOOTPRINT:
                model.geom_rgba[gid, 3] = 0.0

    def evaluate(self, episode: Episode, trace: EpisodeTrace) -> TaskResult:
        cfg = self.config
        lo, hi = self.region(episode)
        gx, gy = np.meshgrid(np.arange(lo[0], hi[0] + 1e-9, 0.005),
                             np.arange(lo[1], hi[1] + 1e-9, 0.005))
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        touching = trace.contact_force > cfg.min_force
        covered = np.zeros(len(grid), dtype=bool)
        for p in trace.tip[touching, :2]:
            covered |= np.sum((grid - p) ** 2, axis=1) <= FOOTPRINT**2
        t0, t1 = episode.contact_window
        inside = (trace.times >= t0) & (trace.times <= t1)
        force = trace.contact_force[inside]
        band = (force >= cfg.force_band[0]) & (force <= cfg.force_band[1])
        metrics = {
            'coverage': float(covered.mean()),
            'in_band_fraction': float(band.mean()) if inside.any() else 0.0,
            'contact_fraction': float(touching[inside].mean()) if inside.any() else 0.0,
            'force_mean_n': float(force.mean()) if inside.any() else 0.0,
            'force_max_n': float(force.max()) if inside.any() else 0.0,
        }
        success = (metrics['coverage'] >= cfg.success_coverage
                   and metrics['in_band_fraction'] >= cfg.success_in_band
                   and metrics['contact_fraction'] >= cfg.min_contact)
        return TaskResult(bool(success), metrics)


def serpentine(lo, hi, spacing: float, margin: float, step: float = 0.002) -> np.ndarray:
    """One continuous stroke over the rectangle [lo, hi]: lanes along y, semicircle turns.

    Lanes run ``margin`` inside the short edges and the turns bulge to the edge, so a tool
    of radius ``margin`` covers the whole rectangle when lanes are at most ``spacing`` apart.
    Returns points (N, 2) about ``step`` apart.
    """
    x0, x1 = lo[0] + margin * 0.6, hi[0] - margin * 0.6
    lanes = max(2, int(np.ceil((x1 - x0) / spacing)) + 1)
    xs = np.linspace(x0, x1, lanes)
    r = (xs[1] - xs[0]) / 2
    y_lo, y_hi = lo[1] + r, hi[1] - r
    pts = []
    for i, x in enumerate(xs):
        ys = (y_lo, y_hi) if i % 2 == 0 else (y_hi, y_lo)
        n = max(2, int(np.ceil(abs(ys[1] - ys[0]) / step)))
        pts.append(np.column_stack([np.full(n, x), np.linspace(ys[0], ys[1], n)]))
        if i + 1 < lanes:
            sign = 1.0 if ys[1] == y_hi else -1.0
            n_arc = max(4, int(np.ceil(np.pi * r / step)))
            a = np.linspace(np.pi, 0.0, n_arc)[1:-1]
            pts.append(np.column_stack([x + r + r * np.cos(a), ys[1] + sign * r * np.sin(a)]))
    return np.vstack(pts)
