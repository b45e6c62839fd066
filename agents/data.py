"""Training batches of oracle trajectories, generated on the fly and deterministic in (seed, step).

Each example is ``task.problem("train", max_length, index, seed)`` rendered in the regime:
inputs ``[BOS] + tokens[:-1]``, targets ``tokens``, loss mask ``trajectory.loss_mask()``.
Length bucketing: ``pool`` consecutive steps' examples are drawn together, sorted by length and
cut into batches (then the batch order inside the pool is shuffled), so a batch holds
trajectories of similar length and padding stays small. Recurrent models need no packing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from toolenv import vocab
from toolenv.regimes import regime_trajectory
from toolenv.registry import get_task


@dataclass(frozen=True)
class Batch:
    inputs: torch.Tensor  # [B, T] int64
    targets: torch.Tensor  # [B, T] int64
    mask: torch.Tensor  # [B, T] bool: positions that carry loss

    @property
    def tokens(self) -> int:
        return int(self.mask.sum())


class TrajectoryBatches:
    """``batch(step)`` is a pure function of (mixture, regime, batch_size, seed, step)."""

    def __init__(self, mixture: list[tuple[str, float, int]], regime: str, batch_size: int, seed: int, pool: int = 8) -> None:
        if not mixture:
            raise ValueError("the task mixture is empty")
        self.tasks = [get_task(name) for name, _, _ in mixture]
        for task, (_, _, max_length) in zip(self.tasks, mixture):
            task.check_length(max_length)
        w = np.array([wt for _, wt, _ in mixture], dtype=float)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"mixture weights must be >= 0 with a positive sum, got {w.tolist()}")
        self.weights = w / w.sum()
        self.max_lengths = [m for _, _, m in mixture]
        self.regime, self.batch_size, self.seed, self.pool = regime, batch_size, seed, pool
        self._cache: tuple[int, list[list[np.ndarray]]] | None = None

    def _pool(self, pool_index: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, pool_index, 7]))
        n = self.pool * self.batch_size
        which = rng.choice(len(self.tasks), size=n, p=self.weights)
        examples = []
        for i, k in enumerate(which.tolist()):
            task = self.tasks[k]
            problem = task.problem("train", self.max_lengths[k], pool_index * n + i, self.seed)
            traj = regime_trajectory(task, problem, self.regime)
            examples.append((traj.tokens, traj.loss_mask()))
        examples.sort(key=lambda e: len(e[0]))
        batches = [examples[j * self.batch_size : (j + 1) * self.batch_size] for j in range(self.pool)]
        order = rng.permutation(self.pool)
        return [batches[j] for j in order]

    def batch(self, step: int) -> Batch:
        pool_index, j = divmod(step, self.pool)
        if self._cache is None or self._cache[0] != pool_index:
            self._cache = (pool_index, self._pool(pool_index))
        return _collate(self._cache[1][j])

    def pool_batches(self, pool_index: int) -> list[Batch]:
        """The ``pool`` batches of steps ``pool_index * pool ...``, in step order."""
        return [_collate(examples) for examples in self._pool(pool_index)]

    def stream(self, start: int, stop: int, workers: int = 0) -> Iterator[Batch]:
        """``batch(step)`` for ``start <= step < stop``, in order. ``workers`` > 0 generates the
        pools ahead in that many background processes (torch DataLoader): the same batches,
        while the accelerator trains on the previous ones."""
        if workers < 0:
            raise ValueError(f"data workers must be >= 0, got {workers}")
        if start >= stop:
            return
        if workers == 0:
            for step in range(start, stop):
                yield self.batch(step)
            return
        first, last = start // self.pool, (stop - 1) // self.pool
        loader = DataLoader(_Pools(self, first, last + 1), batch_size=None, num_workers=workers,
                            prefetch_factor=2, multiprocessing_context="fork" if sys.platform == "linux" else None)
        step = first * self.pool
        for batches in loader:
            for b in batches:
                if start <= step < stop:
                    yield b
                step += 1


class _Pools(Dataset):
    """Pools ``first .. stop-1`` of a TrajectoryBatches, one item per pool (for DataLoader)."""

    def __init__(self, data: TrajectoryBatches, first: int, stop: int) -> None:
        self.data, self.first, self.stop = data, first, stop

    def __len__(self) -> int:
        return self.stop - self.first

    def __getitem__(self, i: int) -> list[Batch]:
        return self.data.pool_batches(self.first + i)


def _collate(examples: list[tuple[np.ndarray, np.ndarray]]) -> Batch:
    """Pad a batch of (tokens, loss mask) examples: inputs ``[BOS] + tokens[:-1]``, targets ``tokens``."""
    T = max(len(t) for t, _ in examples)
    inputs = torch.full((len(examples), T), vocab.PAD, dtype=torch.long)
    targets = torch.full((len(examples), T), vocab.PAD, dtype=torch.long)
    mask = torch.zeros((len(examples), T), dtype=torch.bool)
    for r, (tokens, m) in enumerate(examples):
        n = len(tokens)
        t = torch.from_numpy(tokens)
        inputs[r, 0] = vocab.BOS
        inputs[r, 1:n] = t[:-1]
        targets[r, :n] = t
        mask[r, :n] = torch.from_numpy(m)
    return Batch(inputs, targets, mask)
