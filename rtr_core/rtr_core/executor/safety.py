"""Safety: every command inside position, velocity, acceleration, jerk and per-tick step limits.

The filter runs on every tick whatever the strategy. It is transparent: a target whose step
from the last command keeps the velocity, acceleration and jerk (backward differences over
the tick) within the limits, and from which the joints can still stop inside the position
limits, is commanded as it is. A target it cannot reach within the limits is approached
along the time-optimal jerk-limited trajectory computed by Ruckig (the online trajectory
generator MoveIt 2 smooths with), re-planned every tick from the commanded position,
velocity and acceleration towards the target and the plan's velocity there: the joints
reach it without overshoot and without the acceleration reversing from one tick to the next
(and the tick is counted as clamped). Near a position limit the command brakes along
Ruckig's jerk-limited stop. With no plan left, :meth:`SafetyFilter.stop_profile` brings the
joints to rest the same way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import ruckig

from .config import ExecutorConfig

_TOLERANCE = 1e-6  # relative slack on the limits for round-off in the differences
_POSITION_SLACK = 1e-9  # rad: positions this close to a limit count as inside
_INTERCEPT_STEPS = 6  # bisection steps for the time a moving plan is met (1/64 of the range)
HOLD_RAMP = 0.1  # s: a hold reaches its deceleration in this time (its jerk limit), unhurried


class Command(NamedTuple):
    """One filtered command: where the joints are sent and how they move there.

    ``velocity``, ``acceleration`` and ``jerk`` are backward differences over the last tick
    (what the command stream does). ``continuous`` is Ruckig's (velocity, acceleration) at
    this command when it came from Ruckig: the next re-plan starts from it, so consecutive
    limited commands are samples of one jerk-limited trajectory.
    """

    position: np.ndarray
    velocity: np.ndarray
    acceleration: np.ndarray
    jerk: np.ndarray
    clamped: bool = False
    continuous: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def at_rest(cls, position: np.ndarray) -> Command:
        zero = np.zeros_like(position)
        return cls(position, zero, zero, zero)

    def then(self, position: np.ndarray, dt: float, clamped: bool = False,
             continuous: tuple[np.ndarray, np.ndarray] | None = None) -> Command:
        """The command at ``position``, ``dt`` after this one."""
        v = (position - self.position) / dt
        a = (v - self.velocity) / dt
        return Command(position, v, a, (a - self.acceleration) / dt, clamped, continuous)

    def state(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (velocity, acceleration) at this command: Ruckig's own, or those of the
        cubic through the last four commands (exact when they lie on one)."""
        if self.continuous is not None:
            return self.continuous
        a = self.acceleration + self.jerk * dt
        return self.velocity + a * dt / 2 - self.jerk * dt * dt / 6, a


class SafetyFilter:
    def __init__(self, config: ExecutorConfig):
        self.period = config.control_period
        self.lower = config.limit('position_lower')
        self.upper = config.limit('position_upper')
        self.max_velocity = np.minimum(config.limit('max_velocity'),
                                       config.limit('max_step') / self.period)
        self.max_acceleration = config.limit('max_acceleration')
        self.max_jerk = config.limit('max_jerk')
        self.hold_deceleration = config.safety.hold_deceleration * self.max_acceleration
        self.hold_jerk = np.minimum(self.hold_deceleration / HOLD_RAMP, self.max_jerk)
        joints = len(config.joint_names)
        self._otg = ruckig.Ruckig(joints)
        self._input = ruckig.InputParameter(joints)
        self._input.max_velocity = self.max_velocity.tolist()
        self._input.target_acceleration = [0.0] * joints
        self._trajectory = ruckig.Trajectory(joints)
        # a stop from speed v with acceleration a covers less than, with w = v + a^2 / 2j,
        # w (a / j + 2 a_max / j) + w^2 / (2 a_max) + a^3 / j^2: joints further than that
        # from both limits need no exact stopping-distance check
        self._ramp = self.max_acceleration / self.max_jerk

    def clip_positions(self, positions: np.ndarray) -> np.ndarray:
        return np.clip(positions, self.lower, self.upper)

    # --- one tick -----------------------------------------------------------------------------

    def apply(self, target: np.ndarray, previous: Command | None, ticks: int = 1,
              next_target: np.ndarray | None = None) -> Command:
        """Command for ``target`` after the ``previous`` one; ``next_target`` is the plan's
        target of the tick after (None: the plan comes to rest at ``target``).

        The target is commanded as it is when both steps, to it and on to ``next_target``,
        are within the limits (the second so that a command never arrives at a target at a
        speed it cannot keep, or shed, at the next tick; a next target beyond the velocity
        limit, a jump, is not anticipated). Otherwise the command follows Ruckig towards the
        target moving at the plan's velocity there. ``ticks`` > 1 when ticks were missed: the
        limits apply over the elapsed time. The first command ever (``previous`` None) is
        only kept inside the position limits.
        """
        if previous is None:
            out = self.clip_positions(target)
            return Command.at_rest(out)._replace(clamped=bool(np.any(out != target)))
        dt = ticks * self.period
        goal = self.clip_positions(target)
        after = goal if next_target is None else self.clip_positions(next_target)
        step = previous.then(goal, dt, bool(np.any(goal != target)))
        v2 = (after - goal) / self.period
        if np.any(np.abs(v2) > self.max_velocity * (1.0 + _TOLERANCE)):
            v2 = step.velocity  # the next target is a jump itself: not one to arrive ready for
        a2 = (v2 - step.velocity) / self.period
        if self._within(np.stack([step.velocity, v2]), np.stack([step.acceleration, a2]),
                        np.stack([step.jerk, (a2 - step.acceleration) / self.period])) \
                and self._stoppable(goal, *step.state(self.period)):
            return step
        v0, a0 = previous.state(self.period)
        if previous.continuous is None:  # a cubic's state may lie outside what its samples do
            a0 = np.clip(a0, -self.max_acceleration, self.max_acceleration)
            v0 = np.clip(v0, -self.max_velocity, self.max_velocity)
        state = self._follow(previous.position, v0, a0, goal, v2, dt)
        if state is None or not self._stoppable(*state):
            state = self._brake(previous.position, v0, a0, self.max_acceleration, dt)
        p, v, a = state
        return previous.then(self.clip_positions(p), dt, True, (v, a))

    def within(self, positions: np.ndarray, start: Command) -> bool:
        """Whether the path ``positions`` (N, J), row 0 the command ``start``, keeps every
        tick inside the limits."""
        if np.any(positions < self.lower - _POSITION_SLACK) or \
                np.any(positions > self.upper + _POSITION_SLACK):
            return False
        v = np.diff(positions, axis=0) / self.period
        a = np.diff(np.vstack([start.velocity[None], v]), axis=0) / self.period
        j = np.diff(np.vstack([start.acceleration[None], a]), axis=0) / self.period
        return self._within(v, a, j)

    def _within(self, v: np.ndarray, a: np.ndarray, j: np.ndarray) -> bool:
        slack = 1.0 + _TOLERANCE
        return bool(np.all(np.abs(v) <= self.max_velocity * slack)
                    and np.all(np.abs(a) <= self.max_acceleration * slack)
                    and np.all(np.abs(j) <= self.max_jerk * slack))

    def _stoppable(self, position: np.ndarray, velocity: np.ndarray,
                   acceleration: np.ndarray) -> bool:
        """Whether a jerk-limited stop at full deceleration from this state stays inside the
        position limits (exactly, through Ruckig, only for joints near a limit)."""
        j, amax = self.max_jerk, self.max_acceleration
        a = np.abs(acceleration)
        v_peak = np.abs(velocity) + a * a / (2 * j)
        reach = (v_peak * (a / j + 2 * self._ramp) + v_peak * v_peak / (2 * amax)
                 + a ** 3 / (j * j) + 1e-9)
        room = np.minimum(self.upper - position, position - self.lower)
        near = (room < reach) | (a > amax)
        if not np.any(near):
            return True
        if not self._calculate(position, velocity, acceleration, brake=True,
                               max_acceleration=amax):
            return False
        for i in np.flatnonzero(near):
            bound = self._trajectory.position_extrema[i]
            if bound.min < self.lower[i] - _POSITION_SLACK or \
                    bound.max > self.upper[i] + _POSITION_SLACK:
                return False
        return True

    def _follow(self, position, velocity, acceleration, goal, target_velocity, dt):
        """State after ``dt`` on the time-optimal jerk-limited way to ``goal`` moving at
        ``target_velocity`` (None when Ruckig finds none).

        A moving plan is intercepted: the joints aim at where the plan will be (``goal``, its
        target ``dt`` from now, moved on at ``target_velocity``) at the earliest time T they
        can be there exactly
        then (Ruckig's ``minimum_duration``), found by bisection on T. Aiming at where the
        plan is now would mean backing up to gain speed from close behind, or cruising on
        ahead of it for good.
        """
        limit = self.max_velocity * (1.0 - 1e-9)
        tv = np.clip(target_velocity, -limit, limit)

        def meets(t: float) -> bool | None:
            """Whether the plan can be met at ``t`` (None: Ruckig found no way)."""
            if not self._calculate(position, velocity, acceleration,
                                   goal=self.clip_positions(goal + tv * (t - dt)),
                                   target_velocity=tv,
                                   max_acceleration=self.max_acceleration, minimum_duration=t):
                return None
            return self._trajectory.duration <= t + 1e-9

        if not np.any(tv) or meets(dt):
            return self._at(dt) if self._calculate(
                position, velocity, acceleration, goal=goal, target_velocity=tv,
                max_acceleration=self.max_acceleration,
                minimum_duration=dt if np.any(tv) else None) else None
        lo, hi = dt, 2 * dt
        for _ in range(10):  # the plan runs away slower than the joints can: T exists
            if meets(hi):
                break
            lo, hi = hi, 2 * hi
        for _ in range(_INTERCEPT_STEPS):
            mid = 0.5 * (lo + hi)
            if meets(mid):
                hi = mid
            else:
                lo = mid
        if meets(hi) is None:
            return None
        return self._at(dt)

    def _brake(self, position, velocity, acceleration, max_acceleration, dt):
        if self._calculate(position, velocity, acceleration, brake=True,
                           max_acceleration=max_acceleration):
            return self._at(dt)
        # Ruckig refused the state (never seen; e.g. non-finite input): hold still
        zero = np.zeros_like(position)
        return position.copy(), zero, zero.copy()

    def _calculate(self, position, velocity, acceleration, goal=None, target_velocity=None,
                   brake: bool = False, max_acceleration=None, max_jerk=None,
                   minimum_duration: float | None = None) -> bool:
        inp = self._input
        inp.minimum_duration = minimum_duration
        inp.max_jerk = (self.max_jerk if max_jerk is None else max_jerk).tolist()
        inp.control_interface = (ruckig.ControlInterface.Velocity if brake
                                 else ruckig.ControlInterface.Position)
        inp.current_position = position.tolist()
        inp.current_velocity = velocity.tolist()
        inp.current_acceleration = acceleration.tolist()
        inp.max_acceleration = max_acceleration.tolist()
        inp.target_velocity = ([0.0] * len(position) if target_velocity is None
                               else target_velocity.tolist())
        if goal is not None:
            inp.target_position = goal.tolist()
        try:
            result = self._otg.calculate(inp, self._trajectory)
        except (ruckig.RuckigError, ValueError):  # ValueError: an error code the binding
            return False  # has no name for (e.g. -101 on extreme inputs)
        return result in (ruckig.Result.Working, ruckig.Result.Finished)

    def _at(self, t: float):
        p, v, a = self._trajectory.at_time(min(t, self._trajectory.duration))
        if t > self._trajectory.duration:  # reached: it then moves on at the target velocity
            p = np.add(p, np.multiply(v, t - self._trajectory.duration))
        return np.array(p), np.array(v), np.array(a)

    # --- paths --------------------------------------------------------------------------------

    def limit_path(self, positions: np.ndarray, start: Command) -> np.ndarray:
        """``positions`` (N, J), one row per tick from the command ``start`` (row 0), made a
        path a controller may follow within the limits: the jerk-limited way from ``start``
        to the last row, moving at the path's final velocity, arriving at its time when the
        limits allow (one Ruckig trajectory sampled at the ticks: the window is replaced
        every tick, so it need not re-plan per row)."""
        n = positions.shape[0]
        if n < 2:
            return positions.copy()
        goal = self.clip_positions(positions[-1])
        v_end = (positions[-1] - positions[-2]) / self.period
        v0, a0 = start.state(self.period)
        if start.continuous is None:
            a0 = np.clip(a0, -self.max_acceleration, self.max_acceleration)
            v0 = np.clip(v0, -self.max_velocity, self.max_velocity)
        limit = self.max_velocity * (1.0 - 1e-9)
        out = positions.copy()
        # at the window's end when the limits allow, later otherwise (one Ruckig solution)
        if not self._calculate(start.position, v0, a0, goal=goal,
                               target_velocity=np.clip(v_end, -limit, limit),
                               max_acceleration=self.max_acceleration,
                               minimum_duration=(n - 1) * self.period):
            self._calculate(start.position, v0, a0, brake=True,
                            max_acceleration=self.max_acceleration)
        for i in range(1, n):
            out[i] = self._at(i * self.period)[0]
        return self.clip_positions(out)

    def end_of(self, positions: np.ndarray, start: Command) -> Command:
        """The command at the last row of the path ``positions`` (row 0: ``start``)."""
        command = start
        for row in positions[1:]:
            command = command.then(row, self.period)
        return command

    def stop_profile(self, start: Command) -> np.ndarray:
        """Positions for the ticks after the command ``start`` that bring it to rest.

        Ruckig's jerk-limited stop at the configured hold deceleration, reached within
        ``HOLD_RAMP`` (at full deceleration and jerk when the gentler stop would cross a
        position limit); the last row is at rest.
        """
        position = start.position
        velocity, a0 = start.state(self.period)
        if not np.any(velocity) and not np.any(a0):
            return self.clip_positions(position)[None].copy()
        # gently, unless the joints already decelerate harder than a hold does
        gentle = self.hold_jerk if np.all(np.abs(a0) <= self.hold_deceleration) \
            else self.max_jerk
        found = False
        for decel, jerk in ((self.hold_deceleration, gentle),
                            (self.max_acceleration, self.max_jerk)):
            if not self._calculate(position, velocity, a0, brake=True, max_acceleration=decel,
                                   max_jerk=jerk):
                continue
            found = True
            bounds = self._trajectory.position_extrema
            if all(b.min >= lo - _POSITION_SLACK and b.max <= hi + _POSITION_SLACK
                   for b, lo, hi in zip(bounds, self.lower, self.upper, strict=True)):
                break
        if not found:  # Ruckig refused the state (never seen; e.g. non-finite input)
            return self.clip_positions(position)[None].copy()
        duration = self._trajectory.duration
        n = max(1, int(np.ceil(duration / self.period - 1e-9)))
        rows = [self._trajectory.at_time(min((i + 1) * self.period, duration))[0]
                for i in range(n)]
        return self.clip_positions(np.array(rows))
