"""Roles and trajectories: the token stream of one episode, each token tagged with who wrote it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from toolenv import vocab


class Role(IntEnum):
    """Who produced a token. The agent emits THOUGHT, COMMAND and OUTPUT tokens ([ANS] and
    [EOS] count as OUTPUT); the task supplies PROMPT and the tool OBSERVATION tokens."""

    PROMPT = 0
    THOUGHT = 1
    COMMAND = 2
    OBSERVATION = 3
    OUTPUT = 4


AGENT_ROLES = frozenset({Role.THOUGHT, Role.COMMAND, Role.OUTPUT})
"""Roles the agent emits; exactly these carry the training loss."""


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One episode's tokens and their roles (equal-length int arrays).

    ``tokens`` excludes [BOS]: it starts with the first prompt token and, when complete, ends
    with [EOS]. Models that want a start token add it themselves.
    """

    tokens: np.ndarray
    roles: np.ndarray

    def __post_init__(self) -> None:
        tokens = np.asarray(self.tokens, dtype=np.int64)
        roles = np.asarray(self.roles, dtype=np.int8)
        if tokens.shape != roles.shape or tokens.ndim != 1:
            raise ValueError(f"tokens {tokens.shape} and roles {roles.shape} must be equal-length 1-D arrays")
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "roles", roles)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trajectory):
            return NotImplemented
        return np.array_equal(self.tokens, other.tokens) and np.array_equal(self.roles, other.roles)

    def actions(self) -> Iterator[int]:
        """The tokens the agent emits, in order (everything but PROMPT and OBSERVATION)."""
        for t, r in zip(self.tokens.tolist(), self.roles.tolist()):
            if r in AGENT_ROLES:
                yield t

    def loss_mask(self) -> np.ndarray:
        """Boolean mask over ``tokens``: True where the agent is trained to predict the token."""
        return np.isin(self.roles, [int(r) for r in AGENT_ROLES])

    def output(self) -> str:
        """The answer the trajectory writes: OUTPUT-role character tokens after [ANS]."""
        return vocab.text_of(self.tokens[self.roles == Role.OUTPUT].tolist())

    def prompt(self) -> str:
        return vocab.text_of(self.tokens[self.roles == Role.PROMPT].tolist())

    def with_roles(self, mapping: dict[Role, Role]) -> Trajectory:
        """A copy with some roles renamed (e.g. OBSERVATION -> THOUGHT for the no-tool regime)."""
        roles = self.roles.copy()
        for src, dst in mapping.items():
            roles[self.roles == src] = dst
        return Trajectory(self.tokens.copy(), roles)

    def text(self) -> str:
        return vocab.decode(self.tokens.tolist())
