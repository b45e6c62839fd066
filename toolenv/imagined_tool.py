"""ImaginedTool: how the ``no-tool`` regime reads an agent's transcript.

In ``no-tool`` the agent writes the same trajectory as in ``interactive`` but must also write
the observations itself (paper App. D.7, "No Tool-Use"). Nothing executes the commands; this
class only tells which tokens the agent wrote in a command's place and which in an
observation's place, with a fixed syntax:

- a command token (and the query characters between ``[find]`` and ``[/find]``) is COMMAND;
- the one token after ``[pK.read]`` is an imagined observation, as are all tokens after
  ``[/find]`` or ``[calc]`` up to and including ``[end]``: role THOUGHT. Inside these slots any
  token is legal ([BOS], [EOS] and [ANS] included) and none of them ends the episode or
  counts as output;
- every other token is content, handled as in the interactive regime.
"""

from __future__ import annotations

from toolenv import vocab
from toolenv.trajectory import Role

_READS = frozenset(vocab.pointer_command(k, "read") for k in range(1, vocab.MAX_POINTERS + 1))


class ImaginedTool:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.slot = 0  # imagined observation tokens still expected (-1: until [end])
        self.in_query = False

    def classify(self, token: int) -> Role | None:
        """Role of the agent's next token, or None for content."""
        if self.slot:
            if self.slot > 0:
                self.slot -= 1
            elif token == vocab.END:
                self.slot = 0
            return Role.THOUGHT
        if self.in_query:
            if token == vocab.FIND_END:
                self.in_query, self.slot = False, -1
            return Role.COMMAND
        if token in _READS:
            self.slot = 1
        elif token == vocab.FIND:
            self.in_query = True
        elif token == vocab.CALC:
            self.slot = -1
        return Role.COMMAND if token in vocab.COMMAND_IDS else None
