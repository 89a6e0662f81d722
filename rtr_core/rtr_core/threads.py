"""Torch's intra-op thread count, set for a block and restored after it.

Real-time paths and the tests run torch on one thread (two threads on two shared cores can
stall torch for seconds; see the developers' machine notes); training sets its own count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(count: int | None = None) -> Iterator[None]:
    """Run the block with ``count`` torch threads (``None``: leave the count to the block),
    then restore the count from before, whatever the block set."""
    import torch

    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
