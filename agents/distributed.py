"""Data-parallel training across processes (``torchrun``): which rank this is, and its share of a batch.

Launched by ``torchrun --nproc_per_node N``, every process builds the same global batch (the data
of a step is a pure function of (seed, step)) and trains on its contiguous share of the rows.
The loss of a rank is its masked token losses summed over the *global* number of loss tokens,
times the world size, so that DistributedDataParallel's gradient average equals the gradient of
the single-process loss at the same global batch: the loss curves match up to float rounding.
NCCL on CUDA (one GPU per process, ``cuda:LOCAL_RANK``), gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from agents.data import Batch


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        """The process that writes checkpoints, logs and validates."""
        return self.rank == 0

    def shard(self, batch: Batch) -> Batch:
        """This rank's contiguous share of the global batch's rows."""
        if not self.active:
            return batch
        n = batch.inputs.shape[0]
        if n % self.world:
            raise ValueError(f"batch_size {n} is not divisible by the {self.world} processes of this run")
        rows = slice(self.rank * n // self.world, (self.rank + 1) * n // self.world)
        return Batch(batch.inputs[rows], batch.targets[rows], batch.mask[rows])

    def sum(self, x: torch.Tensor) -> torch.Tensor:
        """Sum of ``x`` over all ranks (``x`` itself in a single process)."""
        if self.active:
            x = x.clone()
            dist.all_reduce(x)
        return x

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


def init_distributed(device: torch.device) -> tuple[Distributed, torch.device]:
    """Join the process group when started by ``torchrun`` (``WORLD_SIZE`` > 1); the device this
    process trains on (``cuda:LOCAL_RANK`` when ``device`` is CUDA)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Distributed(rank, world, local_rank), device
