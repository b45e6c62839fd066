"""OraclePolicy: a TokenPolicy that replays each problem's teacher trajectory (tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from toolenv.problem import Problem
from toolenv.regimes import regime_trajectory
from toolenv.task import Task


class OraclePolicy:
    """Row b's choice is the next token of problem b's trajectory after the tokens fed so far
    (forced tokens included), so it follows the oracle as long as the context does."""

    def __init__(self, task: Task, problems: Sequence[Problem], regime: str = "interactive",
                 device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        trajs = [regime_trajectory(task, p, regime).tokens for p in problems]
        self.plans = torch.zeros(len(trajs), max(map(len, trajs)) + 1, dtype=torch.long, device=self.device)
        for b, t in enumerate(trajs):
            self.plans[b, : len(t)] = torch.as_tensor(t, device=self.device)

    def start(self, batch_size: int) -> None:
        if batch_size != self.plans.shape[0]:
            raise ValueError(f"OraclePolicy holds {self.plans.shape[0]} problems, asked for {batch_size}")
        self.pos = torch.zeros(batch_size, dtype=torch.long, device=self.device)

    def feed(self, tokens: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        self.pos = (self.pos + active.long()).clamp(max=self.plans.shape[1] - 1)
        return self.plans.gather(1, self.pos[:, None])[:, 0]
