"""The DDS environment of every process that starts rclpy: discovery on localhost only, in a
ROS domain of its own. Set it BEFORE rclpy starts: Fast DDS otherwise multicasts discovery to
239.255.0.1 on every interface, and two runs in one domain see each other's topics.

ROS-free (environment variables only); the root conftest.py applies it to every test process,
scripts that start nodes call it (or pass ``ros_env()`` to their subprocesses).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Domain ids Fast DDS maps to valid ports on Linux with its default participant count
# (0-101; 0 is everybody's default, so it is left out).
DOMAIN_IDS = range(1, 102)


def domain_id_for(pid: int | None = None) -> int:
    """A domain id derived from a process id, so that parallel runs rarely share one."""
    pid = os.getpid() if pid is None else pid
    return DOMAIN_IDS[pid % len(DOMAIN_IDS)]


def ros_env(base: Mapping[str, str] | None = None, domain_id: int | None = None) -> dict:
    """``base`` (default: this process's environment) with discovery on localhost only and
    ``ROS_DOMAIN_ID`` set to ``domain_id`` (default: derived from this process's id)."""
    env = dict(os.environ if base is None else base)
    domain = domain_id_for() if domain_id is None else int(domain_id)
    if domain not in DOMAIN_IDS:
        raise ValueError(f'ROS_DOMAIN_ID: expected {DOMAIN_IDS.start}..{DOMAIN_IDS.stop - 1}, '
                         f'got {domain}')
    env['ROS_DOMAIN_ID'] = str(domain)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # Jazzy and later
    env.pop('ROS_STATIC_PEERS', None)
    if env.get('ROS_DISTRO') == 'humble':  # Humble knows only the older switch
        env['ROS_LOCALHOST_ONLY'] = '1'
    else:  # deprecated since Jazzy, and it would conflict with the range above
        env.pop('ROS_LOCALHOST_ONLY', None)
    return env


def isolate_ros(domain_id: int | None = None) -> int:
    """Apply ``ros_env`` to this process's environment (before rclpy starts); returns the
    domain id."""
    env = ros_env(domain_id=domain_id)
    for key in ('ROS_STATIC_PEERS', 'ROS_LOCALHOST_ONLY'):
        if key not in env:
            os.environ.pop(key, None)
    os.environ.update(env)
    return int(env['ROS_DOMAIN_ID'])
