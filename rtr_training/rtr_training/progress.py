"""Batches and a tqdm progress bar for step-based training loops."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from tqdm import tqdm


def shuffled_batches(n: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Endless index batches: each pass over ``range(n)`` in a fresh random order."""
    rng = np.random.default_rng(seed)
    batch_size = min(batch_size, n)
    while True:
        order = rng.permutation(n)
        for i in range(0, n - batch_size + 1, batch_size):
            yield order[i:i + batch_size]


def progress_bar(total: int, initial: int = 0, desc: str = 'train',
                 enabled: bool = True) -> tqdm:
    """A step counter; ``enabled=False`` (tests, logs) keeps it silent."""
    return tqdm(total=total, initial=initial, desc=desc, disable=not enabled,
                dynamic_ncols=True, leave=False)
