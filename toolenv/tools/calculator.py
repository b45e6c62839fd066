"""Calculator: the single-turn regime's tool (paper App. D.7, "single-turn tool use")."""

from __future__ import annotations

from toolenv import vocab
from toolenv.tools.base import Tool, ToolCommandError


class Calculator(Tool):
    """One ``[calc]`` command whose observation is the whole answer, then ``[end]``.

    The problem (the prompt) is the implicit argument, as in the paper's ``add(a,b)``. A second
    ``[calc]``, or any other command, raises ToolCommandError.
    """

    spec = "calculator"

    def __init__(self, answer: str) -> None:
        self.answer = vocab.encode(answer)
        self.used = False
        self.memory = []

    def reset(self, prompt) -> None:
        super().reset(prompt)
        self.used = False

    def feed(self, token: int) -> list[int] | None:
        if token == vocab.CALC:
            if self.used:
                raise ToolCommandError("[calc] may be called once per episode (single-turn regime)")
            self.used = True
            return [*self.answer, vocab.END]
        if token in vocab.COMMAND_IDS:
            raise ToolCommandError(f"{vocab.token_name(token)} is not a command of {self.spec}")
        self.memory.append(token)
        return None
