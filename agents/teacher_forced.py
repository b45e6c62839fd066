"""TeacherForcedLM: a language model that reads every token of an episode while the teacher plays.

Its backbone consumes each token fed (prompt, actions, tool observations) exactly as an agent's
would, but the token it returns is the teacher's next one (``toolenv.oracle_policy``), so
episodes follow the oracle, tool calls included, whatever the model's weights. Uses: timing a
model's rollouts on real tool traffic (``benchmarks/search_rollout.py``) and checking that two
engine paths run the same model steps: ``digest`` is a running hash of the model's own greedy
choices, one per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from agents.backbone import Backbone
from agents.lm_agent import LMAgent
from toolenv.oracle_policy import OraclePolicy
from toolenv.problem import Problem
from toolenv.task import Task


class TeacherForcedLM(LMAgent):
    def __init__(self, backbone: Backbone, task: Task, problems: Sequence[Problem], regime: str = "interactive",
                 device: str | torch.device | None = None) -> None:
        super().__init__(backbone, device=device)
        self.teacher = OraclePolicy(task, problems, regime, device=self.device)
        self.digest: torch.Tensor | None = None

    def start(self, batch_size: int) -> None:
        super().start(batch_size)
        self.teacher.start(batch_size)
        self.digest = torch.zeros(batch_size, dtype=torch.long, device=self.device)

    def feed(self, tokens: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor:
        self._consume(tokens, active)
        self.digest = (self.digest * 1_000_003 + self.choose(self.logits)) % 2_147_483_647
        return self.teacher.feed(tokens, torch.ones_like(tokens, dtype=torch.bool))

    @property
    def graph_state(self) -> Any:
        state = super().graph_state
        return None if state is None else (state, self.teacher.pos, self.digest)

    @graph_state.setter
    def graph_state(self, value: Any) -> None:
        LMAgent.graph_state.fset(self, value[0])
        self.teacher.pos, self.digest = value[1], value[2]
