"""SearchMemory: grep over the episode's memory (paper §2c, used for the logical graph)."""

from __future__ import annotations

from collections.abc import Sequence

from toolenv import vocab
from toolenv.tools.base import Tool, ToolCommandError

_NEWLINE = vocab.token_id("\n")


def _contains(line: list[int], query: list[int]) -> bool:
    n = len(query)
    return any(line[i : i + n] == query for i in range(len(line) - n + 1))


class SearchMemory(Tool):
    """``[find]`` q... ``[/find]``: the observation is every memory line containing q.

    Memory holds prompt, thought, [ANS] and output tokens (never commands or observations) and is
    split into lines at the newline token; the last, unfinished line counts too. The observation
    lists the matching lines in memory order, each followed by a newline token, and ends with
    ``[end]`` (alone when nothing matches), so the agent knows where it stops. The query consists
    of character tokens only and must not be empty.
    """

    spec = "search"

    def __init__(self) -> None:
        self.memory = []
        self.query: list[int] | None = None

    def reset(self, prompt: Sequence[int]) -> None:
        super().reset(prompt)
        self.query = None

    def feed(self, token: int) -> list[int] | None:
        if self.query is not None:
            if token == vocab.FIND_END:
                query, self.query = self.query, None
                if not query:
                    raise ToolCommandError("empty [find] query")
                return self.search(query)
            if not vocab.is_char(token):
                raise ToolCommandError(f"{vocab.token_name(token)} inside [find] ... [/find]: only characters allowed")
            self.query.append(token)
            return []
        if token == vocab.FIND:
            self.query = []
            return []
        if token in vocab.COMMAND_IDS:
            raise ToolCommandError(f"{vocab.token_name(token)} is not a command of {self.spec} (or outside [find])")
        self.memory.append(token)
        return None

    def search(self, query: list[int]) -> list[int]:
        """Observation tokens for a query (the lines containing it, then [end])."""
        out: list[int] = []
        line: list[int] = []
        for t in [*self.memory, _NEWLINE]:
            if t == _NEWLINE:
                if _contains(line, query):
                    out.extend(line)
                    out.append(_NEWLINE)
                line = []
            else:
                line.append(t)
        out.append(vocab.END)
        return out
