"""Parameters and lifecycle transitions of our nodes, the same way in every node.

- Parameters are declared from a node's typed config (:func:`rtr_core.config.flatten`) with
  dynamic typing, so ``stale_after:=1`` (an integer) is accepted for a float field: the typed
  config converts and checks every value when the node configures.
- rclpy 7.1.6 turns an exception raised in an ``on_*`` callback into a silent ERROR
  transition. :func:`logged_transitions` logs it with its traceback first; an
  :class:`~rtr_core.errors.RtrError` (bad configuration, missing file) is logged as one line
  and the transition FAILS, which leaves the node where it was, ready for a corrected retry.
- What a node creates when it configures is destroyed together when it cleans up or shuts
  down (:class:`ConfiguredEntities`): one list, no attribute bookkeeping per node.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Mapping
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.lifecycle import LifecyclePublisher, TransitionCallbackReturn
from rclpy.publisher import Publisher
from rclpy.subscription import Subscription
from rclpy.timer import Timer

from rtr_core.errors import RtrError

from .latest import LatestMessage

TRANSITIONS = ('on_configure', 'on_activate', 'on_deactivate', 'on_cleanup', 'on_shutdown',
               'on_error')


def declare_config_parameters(node, defaults: Mapping[str, Any]) -> None:
    """Declare every flattened config field as a dynamically typed parameter."""
    dynamic = ParameterDescriptor(dynamic_typing=True)
    for name, value in defaults.items():
        node.declare_parameter(name, value, dynamic)


class ConfiguredEntities:
    """The subscriptions, publishers (lifecycle or not), timers and :class:`LatestMessage`
    readers a node created, destroyed together by :meth:`destroy` (newest first)::

        own = self._configured.add  # in on_configure
        self._state_pub = own(self.create_lifecycle_publisher(...))
        ...
        self._configured.destroy()  # in on_cleanup and on_shutdown

    :meth:`destroy` may run in any state and any number of times: it destroys each entity
    once.
    """

    def __init__(self, node):
        self._node = node
        self._entities: list = []

    def add(self, entity):
        """Keep ``entity`` for :meth:`destroy`; returns it."""
        if not isinstance(entity, _DESTROYABLE):
            raise TypeError(f'{self._node.get_name()}: cannot destroy a '
                            f'{type(entity).__name__}; expected one of '
                            f'{", ".join(t.__name__ for t in _DESTROYABLE)}')
        self._entities.append(entity)
        return entity

    def destroy(self) -> None:
        node, entities = self._node, self._entities
        self._entities = []
        for entity in reversed(entities):
            if isinstance(entity, LatestMessage):
                entity.destroy(node)
            elif isinstance(entity, LifecyclePublisher):  # before Publisher: it is one
                node.destroy_lifecycle_publisher(entity)
            elif isinstance(entity, Publisher):
                node.destroy_publisher(entity)
            elif isinstance(entity, Subscription):
                node.destroy_subscription(entity)
            else:
                node.destroy_timer(entity)


_DESTROYABLE = (LatestMessage, Publisher, Subscription, Timer)


def logged_transitions(cls):
    """Class decorator: every ``on_*`` transition callback defined by ``cls`` logs what it
    raises (with the traceback) instead of letting rclpy swallow it."""
    for name in TRANSITIONS:
        if name in vars(cls):
            setattr(cls, name, _logged(getattr(cls, name)))
    return cls


def _logged(callback):
    @functools.wraps(callback)
    def wrapper(self, state):
        try:
            return callback(self, state)
        except RtrError as exc:
            self.get_logger().error(f'{callback.__name__}: {exc}')
            return TransitionCallbackReturn.FAILURE
        except Exception:
            self.get_logger().error(f'{callback.__name__} raised:\n{traceback.format_exc()}')
            return TransitionCallbackReturn.ERROR
    return wrapper
