"""OraclePolicy: a TokenPolicy that replays each problem's teacher trajectory (tests, benchmarks,
and the oracle's reference row on a leaderboard)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from toolenv.problem import Problem
from toolenv.regimes import regime_trajectory
from toolenv.task import Task


class OraclePolicy:
    """Row b's choice is the next token of problem b's teacher trajectory after the tokens fed
    so far (forced tokens included), so it follows the teacher as long as the context does.

    Give the problems up front (``OraclePolicy(task, problems, regime)``) or let the engine
    hand them over: ``rollout`` calls ``prepare(task, problems, regime)`` on policies that
    have it, so ``evaluate(OraclePolicy(), task, lengths, ...)`` scores the teacher itself.
    No learned policy may use that hook: it sees the answers.
    """

    def __init__(self, task: Task | None = None, problems: Sequence[Problem] | None = None,
                 regime: str = "interactive", device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.plans: torch.Tensor | None = None
        if task is not None and problems is not None:
            self.prepare(task, problems, regime)

    def prepare(self, task: Task, problems: Sequence[Problem], regime: str) -> None:
        key = (task.name, regime, list(problems))
        if key == getattr(self, "_key", None):
            return
        self._key = key
        trajs = [regime_trajectory(task, p, regime).tokens for p in problems]
        self.plans = torch.zeros(len(trajs), max(map(len, trajs)) + 1, dtype=torch.long, device=self.device)
        for b, t in enumerate(trajs):
            self.plans[b, : len(t)] = torch.as_tensor(t, device=self.device)

    def start(self, batch_size: int) -> None:
        if self.plans is None or batch_size != self.plans.shape[0]:
            held = 0 if self.plans is None else self.plans.shape[0]
            raise ValueError(f"OraclePolicy holds {held} problems, asked for {batch_size}")
        self.pos = torch.zeros(batch_size, dtype=torch.long, device=self.device)

    def feed(self, tokens: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        self.pos.add_(active).clamp_(max=self.plans.shape[1] - 1)
        return self.plans.gather(1, self.pos[:, None])[:, 0]

    @property
    def graph_state(self) -> torch.Tensor:
        """Each row's position in its plan (see ``TokenPolicy``: capturable in CUDA graphs)."""
        return self.pos

    @graph_state.setter
    def graph_state(self, value: torch.Tensor) -> None:
        self.pos = value
