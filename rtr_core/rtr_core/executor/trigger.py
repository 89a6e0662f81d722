"""The trigger rule: when the policy side should start a new inference.

It lives with the executor because the executor publishes ``inference_requested`` in its
state; the policy side (node, simulator runner, stream recorder) applies the same rule with
:meth:`Trigger.should_start`, adding what only it knows: whether an inference is running.
"""

from __future__ import annotations

from .config import TriggerConfig


class Trigger:
    def __init__(self, config: TriggerConfig | None = None):
        self.config = config or TriggerConfig()

    def requested(self, planned_actions_left: int, received_any: bool = True) -> bool:
        """Does the executor ask for a new chunk, given what it has left to execute?"""
        if not received_any:
            return True
        mode = self.config.mode
        if mode == 'after_result':
            return True
        if mode == 'sync':
            return planned_actions_left == 0
        return planned_actions_left <= self.config.threshold

    def should_start(self, planned_actions_left: int, busy: bool,
                     received_any: bool = True) -> bool:
        """Policy side: start an inference now? Never while one is running (``busy``)."""
        return not busy and self.requested(planned_actions_left, received_any)
