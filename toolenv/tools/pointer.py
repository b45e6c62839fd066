"""PointerMemory(k): k read heads over the episode's memory (paper §3.1, App. D.3)."""

from __future__ import annotations

from collections.abc import Sequence

from toolenv import vocab
from toolenv.tools.base import Tool, ToolCommandError

_OPS = {vocab.pointer_command(k, op): (k, op) for k in range(1, vocab.MAX_POINTERS + 1) for op in vocab.POINTER_OPS}


class PointerMemory(Tool):
    """Memory = PROMPT + THOUGHT + [ANS] + OUTPUT tokens, in order.

    Every pointer starts at the first prompt token (position 0). Commands, for K in 1..k:

    - ``[pK.read]``: observation is the one token under pointer K; ``[EOS]`` when the pointer
      is past the end of memory, ``[BOS]`` when it is before the first token.
    - ``[pK.left]`` / ``[pK.right]``: move by one, no observation. Positions are clamped to
      ``[-1, len(memory)]``: one step before the start, or the slot the next written token fills.
    - ``[pK.home]``: back to position 0, no observation.

    A command for a pointer ``K > k`` (or any other tool's command) raises ToolCommandError.
    """

    def __init__(self, k: int) -> None:
        if not 1 <= k <= vocab.MAX_POINTERS:
            raise ValueError(f"PointerMemory supports 1..{vocab.MAX_POINTERS} pointers, got {k}")
        self.k = k
        self.spec = f"pointer({k})"
        self.positions = [0] * k
        self.memory = []

    def reset(self, prompt: Sequence[int]) -> None:
        super().reset(prompt)
        self.positions = [0] * self.k

    def feed(self, token: int) -> list[int] | None:
        op = _OPS.get(token)
        if op is None:
            if token in vocab.COMMAND_IDS:
                raise ToolCommandError(f"{vocab.token_name(token)} is not a command of {self.spec}")
            self.memory.append(token)
            return None
        k, name = op
        if k > self.k:
            raise ToolCommandError(f"{vocab.token_name(token)}: pointer {k} does not exist ({self.spec} has {self.k})")
        i = k - 1
        pos = self.positions[i]
        if name == "read":
            if pos < 0:
                return [vocab.BOS]
            return [self.memory[pos]] if pos < len(self.memory) else [vocab.EOS]
        if name == "left":
            self.positions[i] = max(pos - 1, -1)
        elif name == "right":
            self.positions[i] = min(pos + 1, len(self.memory))
        else:
            self.positions[i] = 0
        return []
