"""TokenPolicy: what the batched rollout engine drives (agents.LMAgent implements it), and
AgentPolicy, which lets any Agent-protocol object (``reset``/``act``) be driven the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from gymnasium.error import InvalidAction

from toolenv import vocab


@runtime_checkable
class TokenPolicy(Protocol):
    """A batch of episodes fed one token per row per call, on ``device``.

    ``start(B)`` begins B fresh episodes. ``feed(tokens[B], active[B])`` consumes one token in
    every active row (inactive rows keep their state) and returns the policy's choice of the
    next token for every row (int64 [B] on ``device``); the engine uses it only where the next
    token is the agent's to choose.

    Optional: a ``graph_state`` attribute, the policy's whole per-step mutable state as a pytree
    of tensors of fixed shapes (None: not capturable), readable and assignable. Where it is
    given and ``feed`` does no host work, ``rollout`` may capture ``feed`` in a CUDA graph: it
    re-assigns ``graph_state`` to static tensors of the same structure, and ``feed`` must read
    its state from there (and may replace it with new tensors, or change it in place).

    Optional: a ``reserve(steps)`` method. ``rollout`` calls it every ``sync_every`` steps,
    outside any CUDA graph, before the next ``steps`` feeds: a policy whose state grows (a KV
    cache) reallocates there, so that those feeds keep ``graph_state``'s tensors; a graph is
    captured again when they were replaced.

    Optional: ``feeds_ended_rows = True`` says that rows never interact and that a row's state
    no longer matters once its episode has ended; ``rollout`` then calls ``feed(tokens, None)``
    (every row consumes its token) instead of masking the ended rows, which saves a masked
    update of every state tensor per step.

    Optional: a ``decide(need[B] bool) -> int64 [B]`` method. The engine then calls it after
    every ``feed`` with the rows whose next token is the agent's, and uses its choices instead
    (for policies that must know when a decision is due; see AgentPolicy).
    """

    device: torch.device

    def start(self, batch_size: int) -> None: ...

    def feed(self, tokens: torch.Tensor, active: torch.Tensor | None) -> torch.Tensor: ...


def is_token_policy(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("device", "start", "feed"))


def is_agent(obj: Any) -> bool:
    return all(callable(getattr(obj, a, None)) for a in ("reset", "act"))


class AgentPolicy:
    """A TokenPolicy over an Agent (``reset(batch_size)``, ``act(observations) -> actions``).

    The slow path for agents that are not TokenPolicies: ``act`` runs once per step in which
    some row needs a decision. Each ``act`` call sees, per episode, exactly what ``ToolEnv``
    would have shown it: the whole prompt first, then the agent's last action followed by
    the tool's observation; rows that need no decision get an empty observation (the Agent
    protocol's "paused"). Results equal those of the ToolEnv loop for agents whose actions
    depend only on their own episode's observations (tested).
    """

    def __init__(self, agent: Any, device: str | torch.device = "cpu") -> None:
        if not is_agent(agent):
            raise TypeError(f"{type(agent).__name__} has no reset(batch_size)/act(observations) methods")
        self.agent = agent
        self.device = torch.device(device)

    def start(self, batch_size: int) -> None:
        self.agent.reset(batch_size)
        self.pending: list[list[int]] = [[] for _ in range(batch_size)]
        self.choice = torch.zeros(batch_size, dtype=torch.long, device=self.device)

    def feed(self, tokens: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        toks = tokens.tolist()
        for b in active.nonzero()[:, 0].tolist():
            self.pending[b].append(toks[b])
        return self.choice

    def decide(self, need: torch.Tensor) -> torch.Tensor:
        rows = need.nonzero()[:, 0].tolist()
        if not rows:
            return self.choice
        empty = np.zeros(0, dtype=np.int64)
        observations: list[np.ndarray] = [empty] * len(self.pending)
        for b in rows:
            observations[b] = np.asarray(self.pending[b], dtype=np.int64)
            self.pending[b] = []
        actions = _as_actions(self.agent.act(observations), len(self.pending))
        bad = [b for b in rows if not 0 <= actions[b] < vocab.VOCAB_SIZE]
        if bad:
            raise InvalidAction(f"act() returned {actions[bad[0]]} for episode {bad[0]}: "
                                f"not a token id in [0, {vocab.VOCAB_SIZE})")
        choice = self.choice.clone()
        choice[rows] = torch.as_tensor(actions[rows], dtype=torch.long, device=self.device)
        self.choice = choice
        return choice


def _as_actions(actions: Sequence[int] | np.ndarray | torch.Tensor, batch_size: int) -> np.ndarray:
    if isinstance(actions, torch.Tensor):
        actions = actions.detach().cpu().numpy()
    out = np.asarray(actions, dtype=np.int64).reshape(-1)
    if out.shape != (batch_size,):
        raise ValueError(f"act() returned {out.shape[0]} actions for a batch of {batch_size}")
    return out
