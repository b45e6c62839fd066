"""TokenPolicy: what the batched rollout engine drives (agents.LMAgent implements it)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class TokenPolicy(Protocol):
    """A batch of episodes fed one token per row per call, on ``device``.

    ``start(B)`` begins B fresh episodes. ``feed(tokens[B], active[B])`` consumes one token in
    every active row (inactive rows keep their state) and returns the policy's choice of the
    next token for every row (int64 [B]); the engine uses it only where the next token is the
    agent's to choose.
    """

    device: torch.device

    def start(self, batch_size: int) -> None: ...

    def feed(self, tokens: torch.Tensor, active: torch.Tensor) -> torch.Tensor: ...
