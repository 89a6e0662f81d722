"""Multi-process training through the standard launchers, no launcher of our own.

``torchrun --nproc_per_node=N -m rtr_bringup.cli.main train policy ...`` and
``accelerate launch --num_processes N -m rtr_bringup.cli.main train policy ...`` both start N
copies of the same command with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``MASTER_ADDR``
in the environment; this module reads them. Each process then trains on its own shuffle of
the data with gradients averaged by DistributedDataParallel, and only rank 0 writes files.
Without those variables (the default) it is one plain process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device('cpu')

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        if self.world_size == 1:
            return model
        ids = [self.device.index] if self.device.type == 'cuda' else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def init() -> Context:
    world = int(os.environ.get('WORLD_SIZE', '1'))
    cuda = torch.cuda.is_available()
    local = int(os.environ.get('LOCAL_RANK', '0'))
    device = torch.device('cuda', local) if cuda else torch.device('cpu')
    if cuda:
        torch.cuda.set_device(device)
    if world == 1:
        return Context(device=device)
    if not dist.is_initialized():
        dist.init_process_group(backend='nccl' if cuda else 'gloo')
    return Context(dist.get_rank(), world, device)
