"""Where an agent first leaves the oracle's trajectory: the diagnosis of failed episodes.

The env is deterministic, so an episode equals the teacher trajectory of its problem up to the
first token the agent chose differently; that token (its position, the oracle's token and role
there, the agent's token) says what the agent got wrong. ``toolenv diverge`` prints these for a
checkpoint, counted by role, by (expected -> chosen) token, by the shape of the line, by how far
back the word it falls in (a label, a number) last occurred (a copy's distance) and, given the
longest context of the training length, by position against it: a model that fails only past the
positions it was trained on (a Transformer's) shows there.
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
    word: str = ""  # the oracle's word (run of letters and digits, e.g. a label `v8181`) holding ``position``
    written: str = ""  # the agent's word from the same start (`v8188`)
    copy_distance: int | None = None  # tokens from the word's last earlier whole occurrence to it; None: none


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


def _is_word_char(token: int) -> bool:
    return vocab.is_char(token) and vocab.token_name(token).isalnum()


def word_span(tokens: Sequence[int], k: int) -> tuple[int, int]:
    """[start, end) of the run of letter and digit tokens that holds position ``k`` (empty where
    ``k`` is past the end or not a letter or digit; a word may end at ``k`` when ``k`` closes it)."""
    start = k
    while start > 0 and _is_word_char(tokens[start - 1]):
        start -= 1
    end = k
    while end < len(tokens) and _is_word_char(tokens[end]):
        end += 1
    return start, end


def copy_distance(tokens: Sequence[int], start: int, end: int) -> int | None:
    """How many tokens before ``start`` the word ``tokens[start:end]`` last occurs whole (not inside a
    longer word) in ``tokens``; None where it does not occur earlier or is empty."""
    word = list(tokens[start:end])
    n = len(word)
    if n == 0:
        return None
    for j in range(start - n, -1, -1):
        if (tokens[j] == word[0] and list(tokens[j:j + n]) == word and not (j > 0 and _is_word_char(tokens[j - 1]))
                and not _is_word_char(tokens[j + n])):
            return start - j
    return None


def divergence(episode: int, agent: Trajectory, oracle: Trajectory, correct: bool) -> Divergence | None:
    """Where ``agent`` (an episode's context) first differs from ``oracle``; None if it never does."""
    a, o = agent.tokens.tolist(), oracle.tokens.tolist()
    k = first_difference(a, o)
    if k is None:
        return None
    start, end = word_span(o, k)
    written_end = word_span(a, start)[1] if start < len(a) else start
    return Divergence(
        episode=episode, position=k,
        role=Role(int(oracle.roles[k])).name.lower() if k < len(o) else "end",
        expected=vocab.token_name(o[k]) if k < len(o) else "-",
        chosen=vocab.token_name(a[k]) if k < len(a) else "-",
        line=_line_before(o, k), correct=correct,
        word="".join(vocab.token_name(t) for t in o[start:end]),
        written="".join(vocab.token_name(t) for t in a[start:written_end]),
        copy_distance=copy_distance(o, start, end),
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


def summary(found: Sequence[Divergence | None], top: int = 10,
            trained_context: int | None = None) -> dict[str, list[tuple[str, int]]]:
    """Counts of first divergences by the oracle token's role, by (expected -> chosen) token, by
    the shape of the line written up to it (``line_shape``; these two keep the ``top`` most common,
    None: all), by copy distance (``distance_bucket``) and, where ``trained_context`` (the longest
    context at the training length, in tokens) is given, by position (``position_bucket``)."""
    roles = Counter("none (followed the oracle)" if d is None else d.role for d in found)
    tokens = Counter(f"{d.expected!r} -> {d.chosen!r}" for d in found if d is not None)
    lines = Counter(repr(line_shape(d.line)) for d in found if d is not None)
    distances = Counter(distance_bucket(d) for d in found if d is not None and d.word)
    out = {"by role": roles.most_common(), "by token": tokens.most_common(top), "by line": lines.most_common(top),
           "by copy distance": sorted(distances.items(), key=lambda kv: _BUCKET_ORDER.index(kv[0]))}
    if trained_context is not None:
        order = _position_order(trained_context)
        positions = Counter(position_bucket(d, trained_context) for d in found if d is not None)
        out["by position"] = sorted(positions.items(), key=lambda kv: order.index(kv[0]))
    return out


def _position_order(trained: int) -> list[str]:
    return [f"within the training contexts (< {trained})", f"{trained}-{2 * trained - 1} (1-2x)",
            f"{2 * trained}-{4 * trained - 1} (2-4x)", f"{4 * trained} and later (4x+)"]


def position_bucket(d: Divergence, trained_context: int) -> str:
    """Where ``d`` falls against ``trained_context``, the longest context at the training length
    (tokens): inside it, or past it by up to 2x, 4x or more (a position no training episode had)."""
    if trained_context < 1:
        raise ValueError(f"trained_context must be positive, got {trained_context}")
    order = _position_order(trained_context)
    for i, factor in enumerate((1, 2, 4)):
        if d.position < factor * trained_context:
            return order[i]
    return order[3]


def longest_context(task: Task, length: int, episodes: int, seed: int = 0, regime: str = "interactive") -> int:
    """Tokens in the longest teacher trajectory (the whole context) of ``episodes`` test problems of
    ``length``: at the training length, about the last position training showed the model."""
    return max(len(regime_trajectory(task, task.problem("test", length, i, seed), regime).tokens)
               for i in range(episodes))


_BUCKETS = (16, 64, 256, 1024)
_BUCKET_ORDER = [f"{low}-{high}" for low, high in zip((1, *(b + 1 for b in _BUCKETS)), _BUCKETS)] + [
    f"over {_BUCKETS[-1]}", "no earlier occurrence"]


def distance_bucket(d: Divergence) -> str:
    """The range of ``d.copy_distance`` in tokens: how far back the word the agent got wrong last
    occurred (a miscopied label ~40 tokens back falls in 17-64)."""
    if d.copy_distance is None:
        return "no earlier occurrence"
    for high, name in zip(_BUCKETS, _BUCKET_ORDER):
        if d.copy_distance <= high:
            return name
    return _BUCKET_ORDER[len(_BUCKETS)]
