"""The four regimes (paper §2e and App. D.7): how a task's problem becomes an episode.

- ``interactive``: the oracle trajectory; the task's tool answers commands.
- ``no-tool``: the same tokens, but no tool: the agent must write the observations itself
  (they become THOUGHT tokens and carry loss).
- ``single-turn``: one ``[calc]`` command whose observation is the whole answer (then
  ``[end]``), after which the agent copies it out: prompt, [calc], answer [end], [ANS] answer [EOS].
- ``direct``: no thoughts and no tool: prompt, [ANS], answer, [EOS].
- ``direct-reversed``: the paper's "No-CoT, reversed answer": ``direct`` with the answer's
  characters written last to first (an addition's least-significant digit first, the order its
  carries run). The written output is read back reversed before the task checks it
  (:func:`regime_answer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolenv import vocab
from toolenv.errors import ToolEnvError
from toolenv.problem import Problem
from toolenv.tools import Calculator, Tool
from toolenv.trajectory import Role, Trajectory

if TYPE_CHECKING:
    from toolenv.task import Task

REGIMES = ("interactive", "no-tool", "single-turn", "direct", "direct-reversed")


def check_regime(regime: str) -> str:
    if regime not in REGIMES:
        raise ToolEnvError(f"unknown regime {regime!r}; choose one of {', '.join(REGIMES)}")
    return regime


def regime_answer(regime: str, output: str) -> str:
    """The answer an episode's written output gives in ``regime``: the output itself, or in
    ``direct-reversed`` its characters in reverse order. ``task.check`` judges this string."""
    return output[::-1] if check_regime(regime) == "direct-reversed" else output


def regime_tool(task: Task, problem: Problem, regime: str) -> Tool | None:
    """The tool an episode of this regime runs with (``None``: no tool)."""
    check_regime(regime)
    if regime == "interactive":
        return task.make_tool()
    if regime == "single-turn":
        return Calculator(problem.answer)
    return None


def regime_trajectory(task: Task, problem: Problem, regime: str) -> Trajectory:
    """The teacher trajectory of ``problem`` in ``regime``."""
    check_regime(regime)
    if regime == "interactive":
        return task.oracle(problem)
    if regime == "no-tool":
        return task.oracle(problem).with_roles({Role.OBSERVATION: Role.THOUGHT})
    prompt = vocab.encode(problem.prompt)
    answer = vocab.encode(problem.answer[::-1] if regime == "direct-reversed" else problem.answer)
    tokens, roles = list(prompt), [Role.PROMPT] * len(prompt)
    if regime == "single-turn":
        tokens += [vocab.CALC, *answer, vocab.END]
        roles += [Role.COMMAND] + [Role.OBSERVATION] * (len(answer) + 1)
    tokens += [vocab.ANS, *answer, vocab.EOS]
    roles += [Role.OUTPUT] * (len(answer) + 2)
    return Trajectory(tokens, roles)
