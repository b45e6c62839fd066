"""The global token vocabulary: one character per token, plus special and command tokens.

Contract: ids are stable across versions. New tokens are only ever appended to ``_TOKENS``;
existing entries never move. Every task and every model shares this vocabulary, so one model
can learn several tasks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_POINTERS = 4
"""Pointer commands exist for pointers 1..MAX_POINTERS; a task uses the first k of them."""

POINTER_OPS = ("read", "left", "right", "home")

_SPECIAL = ["[PAD]", "[BOS]", "[EOS]", "[ANS]"]
_CHARS = [chr(c) for c in range(32, 127)] + ["\n"]
_POINTER = [f"[p{k}.{op}]" for k in range(1, MAX_POINTERS + 1) for op in POINTER_OPS]
_OTHER_COMMANDS = ["[find]", "[/find]", "[end]", "[calc]"]

_TOKENS: tuple[str, ...] = tuple(_SPECIAL + _CHARS + _POINTER + _OTHER_COMMANDS)
_IDS: dict[str, int] = {tok: i for i, tok in enumerate(_TOKENS)}

VOCAB_SIZE = len(_TOKENS)
PAD, BOS, EOS, ANS = (_IDS[t] for t in _SPECIAL)
FIND, FIND_END, END, CALC = (_IDS[t] for t in _OTHER_COMMANDS)
COMMAND_IDS = frozenset(_IDS[t] for t in _POINTER + _OTHER_COMMANDS)
CALL_END_IDS = frozenset(_IDS[t] for t in _POINTER + ["[/find]", "[calc]"])
"""Tokens that complete one tool call (counted as ``tool_calls``)."""


class VocabError(ValueError):
    """A text or token id that the vocabulary cannot represent."""


def token_id(name: str) -> int:
    """Id of one token given by its text, e.g. ``"7"``, ``"[ANS]"`` or ``"[p2.read]"``."""
    try:
        return _IDS[name]
    except KeyError:
        raise VocabError(f"unknown token {name!r}") from None


def token_name(token: int) -> str:
    """Text of one token id (``"[EOS]"`` for the special ones)."""
    if not 0 <= int(token) < VOCAB_SIZE:
        raise VocabError(f"token id {token} outside the vocabulary [0, {VOCAB_SIZE})")
    return _TOKENS[int(token)]


def pointer_command(k: int, op: str) -> int:
    """Id of ``[p{k}.{op}]``."""
    if not 1 <= k <= MAX_POINTERS or op not in POINTER_OPS:
        raise VocabError(f"no pointer command [p{k}.{op}]")
    return _IDS[f"[p{k}.{op}]"]


def encode(text: str) -> list[int]:
    """Plain text to ids, one per character. Special tokens are never parsed from text."""
    try:
        return [_IDS[c] for c in text]
    except KeyError as e:
        raise VocabError(f"character {e.args[0]!r} is not in the vocabulary (printable ASCII and newline)") from None


def decode(tokens: Iterable[int]) -> str:
    """Ids to text; special and command tokens appear as their bracketed names."""
    return "".join(token_name(t) for t in tokens)


def is_char(token: int) -> bool:
    """True for the ids that stand for one text character."""
    return len(_SPECIAL) <= int(token) < len(_SPECIAL) + len(_CHARS)


def text_of(tokens: Sequence[int]) -> str:
    """Only the character tokens of ``tokens``, as text (special and command tokens dropped)."""
    return "".join(_TOKENS[t] for t in tokens if is_char(t))


def all_tokens() -> tuple[str, ...]:
    """Every token's text, indexed by id."""
    return _TOKENS
