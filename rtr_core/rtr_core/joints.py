"""Joint values matched by name, never by order (a JointState may list joints in any order
and include joints we do not control, such as a gripper or the tool's passive joints)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import RtrError


def select_joints(names: Sequence[str], values, wanted: Sequence[str],
                  what: str = 'joint state') -> np.ndarray:
    """``values`` (aligned with ``names``) reordered to ``wanted``; missing joints raise."""
    index = {name: i for i, name in enumerate(names)}
    missing = [name for name in wanted if name not in index]
    if missing:
        raise RtrError(f'{what}: joints {missing} missing (it has {list(names)})')
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size != len(names):
        raise RtrError(f'{what}: {len(names)} names but {v.size} values')
    return v[[index[name] for name in wanted]]
