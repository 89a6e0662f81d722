"""Safety: every command inside position, velocity, acceleration and per-tick step limits.

The filter runs on every tick whatever the strategy. A target it cannot reach within the
limits is approached at the limits (and counted as clamped); it never commands a step. With
no plan left, :func:`stop_profile` brings the joints smoothly to rest.
"""

from __future__ import annotations

import numpy as np

from .config import ExecutorConfig


class SafetyFilter:
    def __init__(self, config: ExecutorConfig):
        self.period = config.control_period
        self.lower = config.limit('position_lower')
        self.upper = config.limit('position_upper')
        self.max_velocity = np.minimum(config.limit('max_velocity'),
                                       config.limit('max_step') / self.period)
        self.max_acceleration = config.limit('max_acceleration')
        self.hold_deceleration = config.safety.hold_deceleration * self.max_acceleration

    def clip_positions(self, positions: np.ndarray) -> np.ndarray:
        return np.clip(positions, self.lower, self.upper)

    def apply(self, target: np.ndarray, position: np.ndarray | None, velocity: np.ndarray,
              ticks: int = 1) -> tuple[np.ndarray, np.ndarray, bool]:
        """Command for ``target`` given the previous command ``position``/``velocity``.

        ``ticks`` > 1 when ticks were missed: the limits scale with the elapsed time. The
        first command ever (``position`` None) is only kept inside the position limits.
        Returns (position, velocity, clamped).
        """
        if position is None:
            out = np.clip(target, self.lower, self.upper)
            return out, np.zeros_like(out), bool(np.any(out != target))
        dt = ticks * self.period
        want = (target - position) / dt
        a = self.max_acceleration * dt
        hi = np.minimum(self.max_velocity, velocity + a)
        lo = np.maximum(-self.max_velocity, velocity - a)
        lo = np.minimum(lo, hi)
        # brake early enough to stop at a position limit: move this tick, then decelerate
        room_hi = self._stoppable(np.maximum(self.upper - position, 0.0), dt)
        room_lo = self._stoppable(np.maximum(position - self.lower, 0.0), dt)
        hi = np.maximum(np.minimum(hi, room_hi), lo)
        lo = np.minimum(np.maximum(lo, -room_lo), hi)
        v = np.clip(want, lo, hi)
        out = np.clip(position + v * dt, self.lower, self.upper)
        clamped = bool(np.any(np.abs(out - target) > 1e-12))
        return out, (out - position) / dt, clamped

    def limit_path(self, positions: np.ndarray, velocity: np.ndarray) -> np.ndarray:
        """``positions`` (N, J), one row per tick from a command already within the limits
        (row 0, moving at ``velocity``), with every later row passed through :meth:`apply`:
        the path a controller may follow is then as limited as the commands themselves."""
        out = positions.copy()
        v = velocity
        for i in range(1, out.shape[0]):
            out[i], v, _ = self.apply(positions[i], out[i - 1], v)
        return out

    def _stoppable(self, room: np.ndarray, dt: float) -> np.ndarray:
        """Largest speed v with v*dt + v^2 / (2a) <= room: stops within ``room``."""
        a = self.max_acceleration
        return a * (np.sqrt(dt * dt + 2.0 * room / a) - dt)

    def stop_profile(self, position: np.ndarray, velocity: np.ndarray) -> np.ndarray:
        """Positions for the ticks after ``position`` that bring ``velocity`` smoothly to zero.

        The speed follows a smoothstep from ``velocity`` to 0 (continuous acceleration at the
        end, peak deceleration the configured hold deceleration); the last row is at rest.
        """
        speed = np.abs(velocity)
        need = 1.5 * speed / self.hold_deceleration  # smoothstep peak slope is 1.5
        n = max(1, int(np.ceil(float(np.max(need)) / self.period)))
        s = np.arange(1, n + 1) / n
        remaining = 1.0 - (3 * s**2 - 2 * s**3)
        steps = remaining[:, None] * velocity[None, :] * self.period
        return self.clip_positions(position + np.cumsum(steps, axis=0))
