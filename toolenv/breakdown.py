"""breakdown(): an entry's exact answers counted by a property of its test problems.

Entries of schema 1.1 record which test problems each length answered (``results[].solved``: the
indices i of ``Task.problem('test', length, i, seed)``). ``breakdown`` draws those problems again
from the fixed test stream, groups them by one key of ``Problem.meta`` (multiplication's ``b``,
the second operand, for instance) and counts, per length and group, the problems answered and the
problems there were. It shows where a length's accuracy comes from: on n×1 the problems with
``b = 0`` (answer ``0``) are about a tenth of every test set, enough alone for the paper's 5%.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolenv.errors import ToolEnvError
from toolenv.leaderboard import LeaderboardEntry, paper_style
from toolenv.registry import get_task


@dataclass(frozen=True)
class Group:
    """The test problems of one length whose ``meta[key]`` is ``value``: ``solved`` of ``problems``."""

    value: str
    solved: int
    problems: int


def value_order(value: str) -> tuple[int, int | str]:
    """Sort key of group values: integers in numeric order, then the rest as text."""
    return (0, int(value)) if value.lstrip("-").isdigit() else (1, value)


def breakdown(entry: LeaderboardEntry, key: str, max_groups: int = 20) -> dict[int, list[Group]]:
    """Per tested length, the groups of its test problems by ``meta[key]`` (numeric values in
    numeric order), each with the problems answered exactly. Raises ToolEnvError when a length
    does not record its answered problems (schema 1.0), when the task's problems have no such
    key, or when the key takes more than ``max_groups`` values (an operand, not a property)."""
    missing = [r.length for r in entry.results if r.solved is None]
    if missing:
        raise ToolEnvError(f"{entry.agent.name} on {entry.task}: length(s) {', '.join(map(str, missing))} do not "
                           "record which problems were answered (written before schema 1.1); score them again "
                           "with `toolenv eval`")
    task = get_task(entry.task)
    out: dict[int, list[Group]] = {}
    for r in entry.results:
        problems = [task.problem("test", r.length, i, entry.evaluation.seed) for i in range(r.episodes)]
        if any(key not in p.meta for p in problems):
            keys = sorted(set().union(*(p.meta for p in problems)))
            raise ToolEnvError(f"{entry.task}'s problems have no meta key {key!r}; they have: {', '.join(keys) or 'none'}")
        solved = set(r.solved)
        counts: dict[str, list[int]] = {}
        for i, p in enumerate(problems):
            c = counts.setdefault(str(p.meta[key]), [0, 0])
            c[0] += i in solved
            c[1] += 1
        if len(counts) > max_groups:
            raise ToolEnvError(f"{entry.task}'s meta key {key!r} takes {len(counts)} values at length {r.length}: "
                               f"a breakdown needs a key of at most {max_groups} values")
        out[r.length] = [Group(v, *counts[v]) for v in sorted(counts, key=value_order)]
    return out


def without(found: dict[int, list[Group]], values: set[str]) -> dict[int, tuple[int, int]]:
    """Per length, (answered, problems) over the groups whose value is not in ``values``: the
    accuracy left when easy problems (multiplication's ``b`` of 0 and 1, say) are set aside.
    Raises ToolEnvError naming a value that no group has (a typo would otherwise drop nothing)."""
    seen = {g.value for groups in found.values() for g in groups}
    unknown = sorted(values - seen, key=value_order)
    if unknown:
        raise ToolEnvError(f"no problem has the value(s) {', '.join(unknown)}; the values are: "
                           f"{', '.join(sorted(seen, key=value_order))}")
    return {length: (sum(g.solved for g in groups if g.value not in values),
                     sum(g.problems for g in groups if g.value not in values)) for length, groups in found.items()}


def stop_over(rest: dict[int, tuple[int, int]], trained_max: int | None) -> str:
    """The paper's 'n→m (p%)' over the (answered, problems) per length that ``without`` leaves:
    on n×1 without b = 0 and 1, the stop that trivial answers cannot carry."""
    return paper_style({n: k / total for n, (k, total) in rest.items() if total}, trained_max)[2]
