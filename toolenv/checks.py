"""check_task: the executable contract of a Task, for our tests and for users' CI.

Like Gymnasium's ``check_env``, it raises AssertionError with a message naming the first
broken promise: env API (``check_env`` in every regime), oracle replay, role bookkeeping,
checker independence from the oracle's text, seeding and split membership.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from gymnasium.utils.env_checker import check_env

from toolenv import vocab
from toolenv.env import ToolEnv
from toolenv.problem import Problem
from toolenv.regimes import REGIMES, regime_answer, regime_trajectory
from toolenv.registry import get_task
from toolenv.task import Task
from toolenv.trajectory import AGENT_ROLES, Trajectory


def replay(task: Task | str, problem: Problem, regime: str = "interactive",
           trajectory: Trajectory | None = None) -> tuple[float, dict, Trajectory]:
    """Play the regime's teacher trajectory (or ``trajectory``, already built: long oracles are
    costly) through a ToolEnv; returns (reward, last info, context). The env's step limit is
    the one it would derive itself."""
    task = get_task(task)
    if trajectory is None:
        trajectory = regime_trajectory(task, problem, regime)
    actions = list(trajectory.actions())
    env = ToolEnv(task, regime=regime, max_steps=task.step_limit(len(actions)))
    obs, _ = env.reset(options={"problem": problem})
    context = list(obs)
    reward, info, done = 0.0, {}, False
    for action in actions:
        assert not done, f"{task.name}: episode ended before the oracle finished ({info})"
        obs, reward, terminated, truncated, info = env.step(action)
        context += obs.tolist()
        done = terminated or truncated
    assert done, f"{task.name}: oracle finished without ending the episode"
    rebuilt = env.trajectory()
    assert rebuilt.tokens.tolist() == context, "env.trajectory() differs from the concatenated observations"
    return reward, info, rebuilt


def decision_clash(trajectories: Iterable[Trajectory], window: int) -> str | None:
    """The bounded-window property of an oracle, measured: the first context of ``window``
    tokens that is followed by two different agent tokens somewhere in ``trajectories`` (as
    text), or None when every agent token is a function of the ``window`` tokens before it,
    which a fixed-memory model can then learn once for every length."""
    agent = [int(r) for r in AGENT_ROLES]
    decisions: dict[tuple, int] = {}
    for trajectory in trajectories:
        tokens = [-1] * window + trajectory.tokens.tolist()
        for i in np.flatnonzero(np.isin(trajectory.roles, agent)).tolist():
            context = tuple(tokens[i : i + window])
            if decisions.setdefault(context, tokens[i + window]) != tokens[i + window]:
                return vocab.decode([t for t in context if t >= 0])
    return None


def _corruptions(answer: str) -> Iterable[str]:
    """Answers that differ from ``answer`` in one character (or by one character less/more)."""
    alphabet = "0123456789,()ABCTFalseru "
    for i in sorted({0, len(answer) // 2, len(answer) - 1}):
        if 0 <= i < len(answer):
            c = next(ch for ch in alphabet if ch != answer[i])
            yield answer[:i] + c + answer[i + 1 :]
    yield answer[:-1]
    yield answer + answer[-1:]


def check_task(task: Task | str, lengths: Iterable[int] = (1, 2, 3), seed: int = 0) -> None:
    """Assert the Task contract at the given lengths (keep them small: it replays every regime)."""
    task = get_task(task)
    for regime in REGIMES:
        check_env(ToolEnv(task, regime=regime, length=min(lengths)), skip_render_check=True)
    for length in lengths:
        rng = np.random.default_rng(seed)
        p1, p2 = task.sample(rng, length), task.sample(np.random.default_rng(seed), length)
        assert p1 == p2, f"{task.name}: same rng seed gave different problems at length {length}"
        assert p1.length == length, f"{task.name}: sample(rng, {length}) returned a problem of length {p1.length}"
        assert task.problem("test", length, 0, seed) == task.problem("test", length, 0, seed)
        assert task.split_of(task.problem("test", length, 0, seed)) == "test"
        assert task.check(p1, p1.answer), f"{task.name}: check rejects the reference answer {p1.answer!r}"
        for bad in _corruptions(p1.answer):
            if bad != p1.answer:
                assert not task.check(p1, bad), f"{task.name}: check accepts the corrupted answer {bad!r}"
        for regime in REGIMES:
            teacher = regime_trajectory(task, p1, regime)
            assert regime_answer(regime, teacher.output()) == p1.answer, f"{task.name}/{regime}: oracle output != problem.answer"
            reward, info, rebuilt = replay(task, p1, regime)
            assert reward == 1.0, f"{task.name}/{regime}: oracle replay got reward {reward} ({info})"
            assert rebuilt == teacher, f"{task.name}/{regime}: context rebuilt from the env != teacher trajectory"
            mask = teacher.loss_mask()
            roles = set(teacher.roles[mask].tolist())
            assert roles <= {int(r) for r in AGENT_ROLES}, f"{task.name}/{regime}: loss mask covers roles {roles}"
            assert teacher.tokens[-1] == vocab.EOS and mask[-1], f"{task.name}/{regime}: must end with a trained [EOS]"
