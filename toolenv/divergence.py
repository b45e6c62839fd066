"""Where an agent first leaves the oracle's trajectory: the diagnosis of failed episodes.

The env is deterministic, so an episode equals the teacher trajectory of its problem up to the
first token the agent chose differently; that token (its position, the oracle's token and role
there, the agent's token) says what the agent got wrong. ``toolenv diverge`` prints these for a
checkpoint, counted by role, by (expected -> chosen) token and by the shape of the line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from toolenv import vocab
from toolenv.regimes import regime_trajectory
from toolenv.rollout import EpisodeResult
from toolenv.task import Task
from toolenv.trajectory import Role, Trajectory


@dataclass(frozen=True)
class Divergence:
    """The first difference between an episode and its teacher trajectory."""

    episode: int
    position: int  # token index in the context
    role: str  # the oracle token's role there ("thought", "command", "output"), or "end"
    expected: str  # the oracle's token ("-" past its end)
    chosen: str  # the agent's token ("-" past the episode's end)
    line: str  # the context's text from the last newline before ``position`` up to it
    correct: bool  # the episode's verdict (a divergence can still end right)


def first_difference(a: Sequence[int], b: Sequence[int]) -> int | None:
    """Index of the first differing token (or where the shorter one ends); None if equal."""
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return k
    return None if len(a) == len(b) else min(len(a), len(b))


def _line_before(tokens: Sequence[int], k: int, width: int = 80) -> str:
    start, newline = k, vocab.token_id("\n")
    while start > 0 and tokens[start - 1] != newline and k - start < width:
        start -= 1
    return "".join(vocab.token_name(t) for t in tokens[start:k])


def divergence(episode: int, agent: Trajectory, oracle: Trajectory, correct: bool) -> Divergence | None:
    """Where ``agent`` (an episode's context) first differs from ``oracle``; None if it never does."""
    a, o = agent.tokens.tolist(), oracle.tokens.tolist()
    k = first_difference(a, o)
    if k is None:
        return None
    return Divergence(
        episode=episode, position=k,
        role=Role(int(oracle.roles[k])).name.lower() if k < len(o) else "end",
        expected=vocab.token_name(o[k]) if k < len(o) else "-",
        chosen=vocab.token_name(a[k]) if k < len(a) else "-",
        line=_line_before(o, k), correct=correct,
    )


def divergences(task: Task, results: Sequence[EpisodeResult], regime: str = "interactive") -> list[Divergence | None]:
    """One entry per recorded episode (``rollout(..., record=True)``): its first divergence from
    the teacher trajectory of its problem in ``regime``, or None where it followed it throughout."""
    return [divergence(i, r.trajectory(), regime_trajectory(task, r.problem, regime), r.correct)
            for i, r in enumerate(results)]


def line_shape(line: str) -> str:
    """``line`` with every run of digits written ``#``: divergences in the same place of the same
    kind of line (``[end]v#=False and v#``: copying a gate's second label) count together."""
    return re.sub(r"[0-9]+", "#", line)


def summary(found: Sequence[Divergence | None], top: int = 10) -> dict[str, list[tuple[str, int]]]:
    """Counts of first divergences by the oracle token's role, by (expected -> chosen) token and
    by the shape of the line written up to it (``line_shape``); the last two keep the ``top``
    most common (None: all)."""
    roles = Counter("none (followed the oracle)" if d is None else d.role for d in found)
    tokens = Counter(f"{d.expected!r} -> {d.chosen!r}" for d in found if d is not None)
    lines = Counter(repr(line_shape(d.line)) for d in found if d is not None)
    return {"by role": roles.most_common(), "by token": tokens.most_common(top), "by line": lines.most_common(top)}
