"""TrajectoryBuilder: how oracles write trajectories, by driving the real tool.

An oracle never invents observations: every command it issues runs through the same ``Tool``
that ``ToolEnv`` uses, so the trajectory it builds is exactly what the env replays.
"""

from __future__ import annotations

from toolenv import vocab
from toolenv.tools.base import Tool
from toolenv.trajectory import Role, Trajectory


class TrajectoryBuilder:
    """Append-only writer of one trajectory.

    Thoughts go before ``answer()`` (the [ANS] token), output after it; commands may come
    anywhere. ``finish()`` appends [EOS] and returns the Trajectory.
    """

    def __init__(self, prompt: str, tool: Tool | None) -> None:
        self.tokens: list[int] = vocab.encode(prompt)
        self.roles: list[int] = [Role.PROMPT] * len(self.tokens)
        self.tool = tool
        self.answered = False
        if tool is not None:
            tool.reset(self.tokens)

    # -- content ---------------------------------------------------------------------------
    def _emit(self, token: int, role: Role) -> None:
        self.tokens.append(token)
        self.roles.append(role)
        if self.tool is not None and self.tool.feed(token) is not None:
            raise AssertionError(f"content token {vocab.token_name(token)} was taken as a command")

    def think(self, text: str) -> None:
        if self.answered:
            raise ValueError("thoughts must come before [ANS]")
        for t in vocab.encode(text):
            self._emit(t, Role.THOUGHT)

    def answer(self) -> None:
        if self.answered:
            raise ValueError("[ANS] written twice")
        self.answered = True
        self._emit(vocab.ANS, Role.OUTPUT)

    def output(self, text: str) -> None:
        if not self.answered:
            raise ValueError("output must come after [ANS]")
        for t in vocab.encode(text):
            self._emit(t, Role.OUTPUT)

    def finish(self) -> Trajectory:
        if not self.answered:
            self.answer()
        self.tokens.append(vocab.EOS)
        self.roles.append(Role.OUTPUT)
        return Trajectory(self.tokens, self.roles)

    # -- commands --------------------------------------------------------------------------
    def command(self, token: int) -> list[int]:
        """Issue one command token; returns its observation (also appended as OBSERVATION)."""
        if self.tool is None:
            raise ValueError("this trajectory has no tool")
        self.tokens.append(token)
        self.roles.append(Role.COMMAND)
        obs = self.tool.feed(token)
        if obs is None:
            raise AssertionError(f"{vocab.token_name(token)} is not a command of {self.tool.spec}")
        self.tokens.extend(obs)
        self.roles.extend([Role.OBSERVATION] * len(obs))
        return obs

    def read(self, k: int) -> str:
        """``[pK.read]``; returns the observed token's text ('7', '+', '[EOS]', '[BOS]'...)."""
        return vocab.token_name(self.command(vocab.pointer_command(k, "read"))[0])

    def left(self, k: int) -> None:
        self.command(vocab.pointer_command(k, "left"))

    def right(self, k: int) -> None:
        self.command(vocab.pointer_command(k, "right"))

    def home(self, k: int) -> None:
        self.command(vocab.pointer_command(k, "home"))

    def find(self, query: str) -> list[str]:
        """``[find]`` query ``[/find]``; returns the matching lines (without their newlines)."""
        self.command(vocab.FIND)
        for t in vocab.encode(query):
            self.command(t)
        obs = self.command(vocab.FIND_END)
        return vocab.decode(obs[:-1]).split("\n")[:-1] if len(obs) > 1 else []
