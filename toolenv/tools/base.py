"""The tool contract shared by every tool."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence


class ToolCommandError(ValueError):
    """The agent issued a command the tool cannot execute (e.g. a pointer that does not exist).

    ``ToolEnv`` turns it into a terminated episode with reward 0 and the message in
    ``info["invalid"]``; it never corrupts the tool's state.
    """


class Tool(ABC):
    """A tool owns some command tokens and turns a command into observation tokens.

    The env feeds every token the agent emits to :meth:`feed`, in order. Tokens that are not part
    of a command are *content* (thoughts, [ANS], output) and enter the tool's memory; command and
    observation tokens never do.
    """

    #: short machine-readable description, e.g. ``"pointer(2)"``; stored in leaderboard entries
    spec: str

    def reset(self, prompt: Sequence[int]) -> None:
        """Start a new episode whose memory begins with the prompt tokens."""
        self.memory: list[int] = list(prompt)

    @abstractmethod
    def feed(self, token: int) -> list[int] | None:
        """Process one agent token.

        Returns ``None`` when the token is content (it has been appended to memory), or the list
        of observation tokens (possibly empty) when the token is part of a command.
        Raises :class:`ToolCommandError` for a command this tool cannot execute.
        """
