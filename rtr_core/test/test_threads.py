"""torch_threads: the count inside the block, and the caller's count after it, even on error."""

import pytest
import torch

from rtr_core.threads import torch_threads


def test_torch_threads_sets_and_restores_the_count_even_when_the_block_fails():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match='boom'), torch_threads():
        torch.set_num_threads(1)  # what training does inside the demo's block
        raise RuntimeError('boom')
    assert torch.get_num_threads() == before
