"""The chunk executor: one core for the ROS node, the simulator and offline replay.

Clock-agnostic: the caller passes the time of every call (simulated, wall or bag time).
``receive(chunk, now)`` validates a chunk and asks the boundary strategy for the new plan
(refinement happens here, off the tick path); ``tick(now)`` splices a prepared plan in
when its tick comes (the cheap hand-over anchoring only), applies the safety limits and
returns the command plus the trajectory window to stream. Both may be called from
different threads.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from ..boundary import BoundaryError, BoundaryStrategy, Refiner, make_strategy
from ..boundary.anchor import anchor
from ..boundary.base import BoundaryContext
from ..boundary.retime import retime
from ..chunk import Chunk
from ..timeline import History, Plan, chunk_to_plan, tick_of
from ..trajectory import TrajectoryWindow
from .config import ExecutorConfig
from .safety import Command, SafetyFilter
from .state import MODE_EXECUTING, MODE_HOLDING, MODE_IDLE, ExecutorState
from .trigger import Trigger
from .validation import KINDS, check_chunk, check_timing

log = logging.getLogger('rtr.executor')


@dataclass(frozen=True)
class Reception:
    """Answer to :meth:`ChunkExecutor.receive`."""

    accepted: bool
    chunk_id: int
    reason: str = ''
    kind: str = ''  # rejection kind (validation.KINDS), '' when accepted
    splice_tick: int | None = None
    prepare_seconds: float = 0.0  # time the strategy took to prepare the plan


@dataclass(frozen=True)
class TickResult:
    """Command of one tick. ``position`` is None while idle (nothing received yet)."""

    tick: int
    time: float
    mode: int
    position: np.ndarray | None
    velocity: np.ndarray | None
    chunk_id: int  # chunk whose plan produced the command (0: none / holding)
    spliced: bool  # a new plan took over at this tick (a chunk hand-over)
    clamped: bool
    planned_actions_left: int
    inference_requested: bool
    window: TrajectoryWindow | None = None
    # False when the call fell in the tick already executed (the same result again): a loop
    # paced by the wall clock on a slower simulated clock sends only new ticks
    new: bool = True


class ChunkExecutor:
    def __init__(self, config: ExecutorConfig | None = None,
                 strategy: str | BoundaryStrategy | None = None, action_vae=None):
        """``action_vae``: an :class:`~rtr_core.vae.ActionVAE` for the strategies that refine
        (wrapped in a :class:`Refiner` matched to the executor's joints)."""
        self.config = config or ExecutorConfig()
        names = self.config.joint_names
        if isinstance(strategy, BoundaryStrategy):
            self.strategy = strategy
        else:
            refiner = None if action_vae is None else Refiner(action_vae, names,
                                                              self.config.control_period)
            self.strategy = make_strategy(strategy or self.config.strategy,
                                          self.config.boundary, refiner)
        self.period = self.config.control_period
        self._jump_ticks = max(1, int(self.config.clock_tolerance / self.period))
        self.safety = SafetyFilter(self.config)
        self.trigger = Trigger(self.config.trigger)
        self._lock = threading.Lock()
        self._receive_lock = threading.Lock()
        # bumped by everything that invalidates a plan being merged (reset, hold, clock jump):
        # a merge that started in an older epoch is discarded when it commits
        self._epoch = 0
        self.reset()

    # --- lifecycle --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything (plans, history, counters): a new episode."""
        with self._lock:
            self._epoch += 1
            j = len(self.config.joint_names)
            self._history = History(self.config.history_ticks, j)
            self._plan: Plan | None = None
            self._pending: tuple[Plan, int] | None = None
            self._hold: Plan | None = None
            self._position: np.ndarray | None = None
            self._velocity = np.zeros(j)
            self._command: Command | None = None  # the last command and how it moves
            self._last_tick: int | None = None
            self._last_result: TickResult | None = None
            self._chunk_id = 0
            self._previous_chunk_id = 0
            self._takeover = 0
            self._last_received_id = 0
            self._last_stamp = -np.inf
            self._mode = MODE_IDLE
            self._accepted = 0
            self._rejected = {k: 0 for k in KINDS}
            self._last_reason = ''
            self._last_rejected_id = 0
            self._clamped_ticks = 0
            self._clipped_chunks = 0
            self._stall_ticks = 0
            self._late_merges = 0
            self._clock_jumps = 0
            self._strategy_stale = False
            self.strategy.reset()

    def start(self, position: np.ndarray, now: float) -> None:
        """Start from a known position at rest (e.g. the measured joint state)."""
        p = self.safety.clip_positions(np.asarray(position, dtype=np.float64).reshape(-1))
        if p.size != len(self.config.joint_names):
            raise ValueError(f'start position: expected {len(self.config.joint_names)} values')
        with self._lock:
            k = tick_of(now, self.period)
            for i in range(3):
                self._history.append(k - 2 + i, p)
            self._position, self._velocity = p.copy(), np.zeros_like(p)
            self._command = Command.at_rest(p)
            self._last_tick = k

    # --- chunks -----------------------------------------------------------------------------

    def receive(self, chunk: Chunk, now: float) -> Reception:
        """Validate ``chunk`` (arrived at ``now``) and prepare its plan; never raises on bad
        input: a rejection carries the reason, is logged and counted."""
        with self._receive_lock:
            with self._lock:
                self._follow_clock(tick_of(now, self.period))
            problem = check_chunk(chunk, self.config.joint_names)
            if problem is None:
                problem = check_timing(chunk, now, self.config.clock_tolerance,
                                       self.config.max_chunk_duration)
            if problem is None and chunk.stamp == self._last_stamp and \
                    chunk.chunk_id == self._last_received_id:
                problem = ('out_of_order', f'duplicate of the last accepted chunk (same id and '
                           f'observation stamp {chunk.stamp:.6f})')
            if problem is None and chunk.stamp < self._last_stamp:
                problem = ('out_of_order', f'observation stamp {chunk.stamp:.6f} older than '
                           f'the last accepted chunk ({self._last_stamp:.6f})')
            if problem is not None:
                return self._reject(chunk, *problem)
            order = np.array([chunk.joint_names.index(n) for n in self.config.joint_names])
            new = chunk_to_plan(chunk, order, self.period)
            with self._lock:
                if self._strategy_stale:  # its state is on the timeline before the jump
                    self.strategy.reset()
                    self._strategy_stale = False
                if self._last_tick is not None:
                    splice = self._last_tick + self.config.splice_lead_ticks
                else:
                    splice = tick_of(now, self.period) + self.config.splice_lead_ticks - 1
                if new.last_tick < splice:
                    end = (new.last_tick * self.period)
                    return self._reject(chunk, 'stale', f'start time in the past beyond the '
                                        f'horizon: last action at t={end:.4f} s, next tick at '
                                        f't={splice * self.period:.4f} s', locked=True)
                current = self._pending[0] if self._pending is not None else self._plan
                first, rows = self._history.last(new.positions.shape[0] + 3)
                rows = self._until_splice(rows, first, splice)
                epoch = self._epoch
            shift = self.config.boundary.retime_ticks
            if shift > 0 and (self.strategy.anchors or self.config.boundary.anchor) and \
                    rows.shape[0] and first + rows.shape[0] == splice:
                new, _ = retime(new, splice - 1, rows[-1], shift,
                                self.config.boundary.retime_behind)
            ctx = BoundaryContext(new, chunk, current, splice, rows, first, self.period)
            t0 = time.perf_counter()
            try:
                plan = self.strategy.merge(ctx)
            except BoundaryError as exc:
                return self._reject(chunk, 'strategy', str(exc))
            took = time.perf_counter() - t0
            if plan is None or plan.last_tick < splice:
                return self._reject(chunk, 'stale', 'nothing left to execute after merging')
            if not np.all(np.isfinite(plan.positions)):
                # a stateful strategy (rtr_paper keeps the last refined chunk) must not carry
                # the poisoned result into every later merge
                self.strategy.reset()
                return self._reject(chunk, 'strategy', f'{self.strategy.name} produced '
                                    f'non-finite positions')
            clipped = self.safety.clip_positions(plan.positions)
            outside = not np.array_equal(clipped, plan.positions)
            if outside:
                log.warning('chunk %d: positions outside the joint limits clipped (by up to '
                            '%.4f)', chunk.chunk_id,
                            float(np.max(np.abs(clipped - plan.positions))))
            plan = dataclasses.replace(plan, positions=clipped, chunk_id=chunk.chunk_id)
            with self._lock:
                if self._epoch != epoch:
                    # a hold, reset or clock jump landed during the merge: its plan is on a
                    # timeline (or for a motion) that no longer exists
                    self._strategy_stale = True
                    return self._reject(chunk, 'superseded', 'the executor held, reset or '
                                        're-based its clock while the chunk was merged',
                                        locked=True)
                self._clipped_chunks += outside
                # merged after its splice tick ran (real time, a slow merge): it takes over a
                # tick later, anchored to what ran meanwhile; splice_lead_ticks avoids it
                self._late_merges += self._last_tick is not None and self._last_tick >= splice
                self._pending = (plan, splice)
                self._accepted += 1
                self._last_received_id = chunk.chunk_id
                self._last_stamp = chunk.stamp
            return Reception(True, chunk.chunk_id, splice_tick=splice, prepare_seconds=took)

    def _until_splice(self, rows: np.ndarray, first: int, splice: int) -> np.ndarray:
        """The executed ``rows`` (ticks ``first``...) followed by what is scheduled to run
        before ``splice`` (with ``splice_lead_ticks`` > 1 the old plan still runs there)."""
        ticks = range(first + rows.shape[0], splice)
        if not len(ticks) or self._position is None:
            return rows.copy()
        return np.vstack([rows] + [self._scheduled(k)[None] for k in ticks])

    def _scheduled(self, k: int) -> np.ndarray:
        """The target tick ``k`` will command as things stand (before the safety filter)."""
        if self._pending is not None and k >= self._pending[1] and self._pending[0].covers(k):
            return self._pending[0].at(k)
        if self._plan is not None and self._plan.covers(k):
            return self._plan.at(k)
        if self._hold is not None:
            return self._hold.at(k) if self._hold.covers(k) else self._hold.positions[-1]
        return self._position

    def _reject(self, chunk: Chunk, kind: str, reason: str, locked: bool = False) -> Reception:
        message = f'chunk {chunk.chunk_id} rejected: {reason}'
        log.warning(message)
        if locked:
            self._count_rejection(chunk.chunk_id, kind, message)
        else:
            with self._lock:
                self._count_rejection(chunk.chunk_id, kind, message)
        return Reception(False, chunk.chunk_id, reason=message, kind=kind)

    def _count_rejection(self, chunk_id: int, kind: str, message: str) -> None:
        self._rejected[kind] += 1
        self._last_reason = message
        self._last_rejected_id = chunk_id

    # --- ticks ------------------------------------------------------------------------------

    def tick(self, now: float) -> TickResult:
        """Command for the control tick nearest ``now``; calling again within the same tick
        returns the same result."""
        k = tick_of(now, self.period)
        with self._lock:
            self._follow_clock(k)
            last = self._last_result
            if self._last_tick is not None and k <= self._last_tick and last is not None:
                if last.new:
                    self._last_result = last = dataclasses.replace(last, new=False)
                return last
            steps = 1 if self._last_tick is None else max(1, k - self._last_tick)
            self._splice_if_due(k)
            spliced = k == self._takeover
            plan = self._plan
            if plan is not None and plan.covers(k):
                target, mode, self._hold = plan.at(k), MODE_EXECUTING, None
                after = self._after(plan, k)
            elif self._position is None:
                result = TickResult(k, k * self.period, MODE_IDLE, None, None, 0, False, False,
                                    0, self.trigger.requested(0, self._accepted > 0),
                                    new=last is None or last.tick != k)
                self._last_result = result
                return result
            else:
                (target, after), mode = self._hold_target(k), MODE_HOLDING
                self._stall_ticks += 1
            self._command = self.safety.apply(target, self._command, steps, after)
            position, velocity, clamped = (self._command.position, self._command.velocity,
                                           self._command.clamped)
            self._clamped_ticks += clamped
            self._history.append(k, position)
            self._position, self._velocity = position, velocity
            self._last_tick, self._mode = k, mode
            left = self._planned_left(k)
            chunk_id = 0
            if mode == MODE_EXECUTING:
                chunk_id = self._chunk_id if k >= self._takeover else self._previous_chunk_id
            result = TickResult(
                k, k * self.period, mode, position, velocity, chunk_id, spliced, clamped, left,
                self.trigger.requested(left, self._accepted > 0), self._window(k))
            self._last_result = result
            return result

    def hold(self, now: float) -> TrajectoryWindow | None:
        """Drop every plan and decelerate smoothly to a stop from the last command.

        For a deactivation or shutdown: returns one window that covers the whole stop (send it
        once when the loop stops: the controller then brakes and stays), or None before
        :meth:`start`. Later ticks keep holding until a new chunk is received.
        """
        with self._lock:
            if self._position is None or self._last_tick is None:
                return None
            self._plan, self._pending, self._mode = None, None, MODE_HOLDING
            self._epoch += 1
            stop = self.safety.stop_profile(self._command)
            self._hold = Plan(self._last_tick + 1, stop)
            positions = np.vstack([self._position[None], stop, stop[-1:]])
            return TrajectoryWindow.from_samples(self.config.joint_names, positions,
                                                 self.period, velocity_before=self._velocity)

    def _follow_clock(self, k: int) -> None:
        """Re-base the timeline when the clock jumped by more than ``clock_tolerance``.

        A bag replay restarting (or a sim clock reset) moves ``now`` by seconds at once: the
        plans are on the old timeline, and ticks far behind the last one would otherwise
        freeze the executor until the clock caught up, ticks far ahead would let the safety
        filter scale its limits by the whole gap. The executed history is moved so that tick
        ``k`` follows the last command, plans are dropped and the executor holds smoothly
        from where it is until a chunk stamped on the new clock arrives.
        """
        if self._last_tick is None or abs(k - self._last_tick) <= self._jump_ticks:
            return
        log.warning('clock jumped by %.3f s (tick %d -> %d): timeline re-based, holding until '
                    'the next chunk', (k - self._last_tick) * self.period, self._last_tick, k)
        offset = k - 1 - self._last_tick
        self._history.shift(offset)
        self._last_tick = k - 1
        self._plan, self._pending, self._hold, self._last_result = None, None, None, None
        self._takeover = 0
        self._last_stamp = -np.inf
        self._clock_jumps += 1
        self._strategy_stale = True
        self._epoch += 1

    def clock_jumps(self) -> int:
        """How often the timeline was re-based after a clock jump."""
        with self._lock:
            return self._clock_jumps

    def _splice_if_due(self, k: int) -> None:
        if self._pending is None or k < self._pending[1]:
            return
        plan = self._pending[0]
        self._pending = None
        if (plan.anchor or self.config.boundary.anchor) and self._last_tick is not None:
            _, executed = self._history.last(3)
            blend = self.config.boundary.blend_ticks
            anchored = anchor(plan, self._last_tick + 1, executed, blend)
            plan = anchored if anchored is not None else plan
        self._plan = plan.from_tick(k) or plan
        if self._takeover > k:  # the chunk queued before this one never started
            self._chunk_id = self._previous_chunk_id
        self._previous_chunk_id, self._chunk_id = self._chunk_id, plan.chunk_id
        self._takeover = max(k, plan.takeover if plan.takeover is not None else k)
        self._hold = None

    @staticmethod
    def _after(plan: Plan, k: int) -> np.ndarray | None:
        """The plan's target for the tick after ``k``; past its end, its last velocity kept
        (the hold that follows brakes from there)."""
        if plan.covers(k + 1):
            return plan.at(k + 1)
        return 2 * plan.at(k) - plan.at(k - 1) if plan.covers(k - 1) else None

    def _hold_target(self, k: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Target of tick ``k`` on the stop and of the tick after (None: at rest)."""
        hold = self._hold
        if hold is None:
            hold = Plan(k, self.safety.stop_profile(self._command))
            self._hold = hold
        if hold.covers(k + 1):
            return hold.at(k), hold.at(k + 1)
        return (hold.at(k) if hold.covers(k) else hold.positions[-1]), None

    def _planned_left(self, k: int) -> int:
        plan = self._pending[0] if self._pending is not None else self._plan
        return 0 if plan is None else plan.left_after(k)

    def _window(self, k: int) -> TrajectoryWindow | None:
        n = self.config.window_ticks
        if n < 2:
            return None
        rows = [self._position[None]]
        plan = self._plan
        if plan is not None and self._mode == MODE_EXECUTING:
            _, ahead = plan.window(k + 1, k + n - 1)
            rows.append(ahead)
        positions = np.concatenate(rows)
        have = positions.shape[0]
        if have < n:  # the plan ends inside the window: show the smooth stop that follows
            stop = self.safety.stop_profile(self.safety.end_of(positions, self._command))
            if stop.shape[0] < n - have:
                stop = np.vstack([stop, np.repeat(stop[-1:], n - have - stop.shape[0], axis=0)])
            positions = np.vstack([positions, stop[:n - have]])
        positions = self.safety.clip_positions(positions)
        if not self.safety.within(positions, self._command):
            # the plan is further ahead than the limits allow (a clamped command): the
            # controller would follow the window between two ticks, so limit it too
            positions = self.safety.limit_path(positions, self._command)
        return TrajectoryWindow.from_samples(self.config.joint_names, positions, self.period,
                                             velocity_before=self._velocity)

    # --- state ------------------------------------------------------------------------------

    def state(self) -> ExecutorState:
        with self._lock:
            k = self._last_tick if self._last_tick is not None else 0
            left = self._planned_left(k)
            j = len(self.config.joint_names)
            return ExecutorState(
                stamp=k * self.period, tick=k, control_period=self.period,
                joint_names=self.config.joint_names,
                position=self._position.copy() if self._position is not None else np.zeros(j),
                velocity=self._velocity.copy(), planned_actions_left=left,
                chunk_id=0 if self._mode != MODE_EXECUTING else (
                    self._chunk_id if k >= self._takeover else self._previous_chunk_id),
                last_received_chunk_id=self._last_received_id,
                inference_requested=self.trigger.requested(left, self._accepted > 0),
                strategy=self.strategy.name, mode=self._mode,
                chunks_accepted=self._accepted, chunks_rejected=sum(self._rejected.values()),
                clamped_ticks=self._clamped_ticks, clipped_chunks=self._clipped_chunks,
                late_merges=self._late_merges,
                stall_ticks=self._stall_ticks,
                last_rejection_reason=self._last_reason,
                last_rejected_chunk_id=self._last_rejected_id)

    def rejections(self) -> dict[str, int]:
        """Rejected chunks per kind (see :data:`validation.KINDS`)."""
        with self._lock:
            return dict(self._rejected)
