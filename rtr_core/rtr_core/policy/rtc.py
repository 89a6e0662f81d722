"""Real-time chunking (Black, Galliker, Levine 2025) for our DDIM sampler (method.md section 5).

While the new chunk is sampled, its prefix is guided toward the previous chunk's not yet
executed remainder: a soft mask (1 for the first ``inference_delay`` steps, which will be
executed before the new chunk arrives, decaying to 0 at ``execution_horizon``) weights the
error between that remainder and the decoded clean estimate; the guidance is the
vector-Jacobian product of the masked error through the denoiser (and the VAE decoder for the
latent policy), with the guidance weight of the paper clipped at ``max_guidance_weight``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RtrError

SCHEDULES = ('exp', 'linear', 'ones', 'zeros')


class RTCError(RtrError):
    """An RTC context that does not fit the policy (shape, delay or horizon)."""


@dataclass(frozen=True)
class RTCContext:
    """The previous chunk's unexecuted remainder, aligned to the new chunk.

    ``remainder[i]`` is the previous chunk's target for the new chunk's action ``i`` (same dt,
    same joints, physical units); it may be shorter than the new chunk. ``inference_delay``
    is the number of the new chunk's actions that will already be executed (from the old
    chunk) when it arrives, counted from stamps by the caller.
    """

    remainder: np.ndarray
    inference_delay: int
    execution_horizon: int | None = None

    @classmethod
    def from_chunk(cls, previous, start_time: float, dt: float, inference_delay: int,
                   execution_horizon: int | None = None) -> RTCContext:
        """Resample a previous :class:`~rtr_core.chunk.Chunk` at the new chunk's action times
        ``start_time + i * dt`` (linear in time), keeping the times it covers."""
        times = previous.times
        n = int(np.floor((times[-1] - start_time) / dt + 1e-9)) + 1
        if n <= 0:
            raise RTCError(f'RTC: previous chunk {previous.chunk_id} ends at {times[-1]:.3f}s, '
                           f'before the new chunk starts at {start_time:.3f}s')
        new_times = start_time + dt * np.arange(n)
        pos = np.asarray(previous.positions, dtype=np.float64)
        remainder = np.stack([np.interp(new_times, times, pos[:, j])
                              for j in range(pos.shape[1])], axis=1)
        return cls(remainder, int(inference_delay), execution_horizon)


def prefix_weights(delay: int, horizon: int, total: int, schedule: str = 'exp') -> np.ndarray:
    """The soft mask over ``total`` steps: 1 before ``delay``, decaying to 0 at ``horizon``
    (LeRobot's ``get_prefix_weights``, same schedules)."""
    if schedule not in SCHEDULES:
        raise RTCError(f'RTC schedule: expected one of {", ".join(SCHEDULES)}, got {schedule!r}')
    horizon = min(max(horizon, 0), total)
    delay = min(max(delay, 0), horizon)
    w = np.zeros(total)
    if schedule == 'zeros':
        w[:delay] = 1.0
        return w
    if schedule == 'ones':
        w[:horizon] = 1.0
        return w
    w[:delay] = 1.0
    n = horizon - delay
    if n > 0:
        ramp = np.linspace(1, 0, n + 2)[1:-1]
        if schedule == 'exp':
            ramp = ramp * np.expm1(ramp) / (math.e - 1)
        w[delay:horizon] = ramp
    return w


def guidance_weight(alpha_bar: float, max_weight: float) -> float:
    """The paper's weight (1 - tau) / tau / r^2 with r^2 = (1 - tau)^2 / (tau^2 + (1 - tau)^2),
    for the flow time tau = a / (a + s) that matches the DDIM step with signal a =
    sqrt(alpha_bar) and noise s = sqrt(1 - alpha_bar); clipped at ``max_weight``."""
    a, s = math.sqrt(alpha_bar), math.sqrt(max(1.0 - alpha_bar, 0.0))
    tau = a / (a + s)
    if tau <= 0.0 or tau >= 1.0:
        return max_weight
    return min(max_weight, (tau**2 + (1 - tau) ** 2) / (tau * (1 - tau)))
