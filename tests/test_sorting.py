"""Sorting: oracle replay through gymnasium.make, an independent checker, bounded decisions,
linear cost, seeding and disjoint splits."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given
from hypothesis import strategies as st

import toolenv
from tasks.sorting import parse_prompt
from toolenv import vocab
from toolenv.checks import check_task
from toolenv.trajectory import AGENT_ROLES, Role

TASK = toolenv.get_task("sorting")
WINDOW = 16
"""Every oracle decision is a function of the last WINDOW context tokens (11 suffice, measured)."""


def play(problem):
    """Replay the oracle's actions in ``gym.make``'s env; returns reward, last info, context."""
    env = gym.make("toolenv/Sorting-v0")
    obs, _ = env.reset(options={"problem": problem})
    context = obs.tolist()
    terminated = truncated = False
    for action in TASK.oracle(problem).actions():
        assert not (terminated or truncated), "episode ended before the oracle finished"
        obs, reward, terminated, truncated, info = env.step(action)
        context += obs.tolist()
    assert terminated and not truncated
    return reward, info, context


def test_task_contract_and_check_env_in_every_regime():
    for regime in toolenv.REGIMES:
        check_env(gym.make("toolenv/Sorting-v0", regime=regime, length=4).unwrapped, skip_render_check=True)
    check_task(TASK, lengths=(1, 2, 6))


@given(length=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_oracle_replay_sorts_at_every_small_length(length, seed):
    problem = TASK.sample(np.random.default_rng(seed), length)
    items = problem.meta["items"]
    assert len(items) == problem.length == length and all(0 <= x <= 999 for x in items)
    reward, info, context = play(problem)
    assert reward == 1.0 and info["output"] == ",".join(map(str, sorted(items)))
    assert context == TASK.oracle(problem).tokens.tolist()


@pytest.mark.parametrize("length", [500, 1000])
def test_oracle_replay_sorts_long_lists(length):
    problem = TASK.problem("test", length, 0)
    reward, info, context = play(problem)
    assert reward == 1.0 and info["output"] == problem.answer
    assert context == TASK.oracle(problem).tokens.tolist()


def test_duplicates_and_extremes_are_sorted_stably():
    for items in ([0], [999, 0], [7, 7, 7], [5, 50, 500, 5, 0, 999, 998, 100, 10, 1]):
        problem = TASK.make_problem(items)
        assert TASK.oracle(problem).output() == problem.answer == ",".join(map(str, sorted(items)))


def test_checker_uses_sorted_not_the_oracle(monkeypatch):
    problem = TASK.make_problem([12, 7, 999, 7, 0])
    monkeypatch.setattr(type(TASK), "oracle", lambda *a: pytest.fail("check called the oracle"))
    assert TASK.check(problem, "0,7,7,12,999")
    for bad in [
        "0,7,12,999",
        "0,7,7,12,999,999",
        "7,0,7,12,999",
        "0,7,7,12,998",
        "0,7,7,012,999",
        "0,7,7,12,999,",
        "0, 7,7,12,999",
        "",
        "0 7 7 12 999",
    ]:
        assert not TASK.check(problem, bad), bad


def test_changing_one_output_token_gives_reward_zero():
    problem = TASK.make_problem([31, 4, 159, 26, 5])
    actions = list(TASK.oracle(problem).actions())
    start = actions.index(vocab.ANS) + 1
    for i in range(start, len(actions) - 1):
        wrong = vocab.token_id("9" if vocab.token_name(actions[i]) != "9" else "8")
        env = gym.make("toolenv/Sorting-v0")
        env.reset(options={"problem": problem})
        for j, action in enumerate(actions):
            *_, reward, terminated, truncated, info = env.step(wrong if j == i else action)
            if terminated or truncated:
                break
        assert reward == 0.0 and info["output"] != problem.answer


def test_every_decision_depends_on_a_bounded_window_only():
    """The oracle is a finite-window policy: equal last-WINDOW contexts, equal next action,
    across lengths 1..40 and 300 (a bucket number or pass number held in memory would clash)."""
    rng = np.random.default_rng(0)
    decisions: dict[tuple, int] = {}
    agent = [int(r) for r in AGENT_ROLES]
    for length in [*range(1, 41), 300]:
        trajectory = TASK.oracle(TASK.sample(rng, length))
        tokens = [-1] * WINDOW + trajectory.tokens.tolist()
        for i in np.flatnonzero(np.isin(trajectory.roles, agent)).tolist():
            window = tuple(tokens[i : i + WINDOW])
            assert decisions.setdefault(window, tokens[i + WINDOW]) == tokens[i + WINDOW], (
                f"length {length}: context {vocab.decode([t for t in window if t >= 0])!r} has two next actions"
            )


def test_trajectory_grows_linearly_and_never_walks_back():
    sizes = {}
    for n in (10, 100, 1000):
        trajectory = TASK.oracle(TASK.problem("test", n, 0))
        sizes[n] = len(trajectory)
        names = {vocab.token_name(t) for t in trajectory.tokens[trajectory.roles == Role.COMMAND].tolist()}
        assert not {n for n in names if n.endswith((".left]", ".home]"))}, names
    assert sizes[1000] <= 235 * 1000 + 200 and sizes[100] <= 235 * 100 + 200
    assert sizes[1000] / sizes[100] < 10.1


def test_bad_problems_get_clear_errors():
    with pytest.raises(ValueError, match="0..999"):
        TASK.make_problem([1, 1000])
    with pytest.raises(ValueError, match="non-empty"):
        TASK.make_problem([])
    with pytest.raises(ValueError, match="not a sorting prompt"):
        parse_prompt("sort:1,,2=")
    with pytest.raises(ValueError, match="not a sorting prompt"):
        parse_prompt("sort:01,2=")
    with pytest.raises(toolenv.LengthError):
        TASK.sample(np.random.default_rng(0), 0)


def test_same_seed_same_problems():
    assert TASK.sample(np.random.default_rng(4), 9) == TASK.sample(np.random.default_rng(4), 9)
    assert [TASK.problem("test", 12, i, seed=3) for i in range(5)] == [
        TASK.problem("test", 12, i, seed=3) for i in range(5)
    ]
    assert TASK.problem("test", 12, 0, seed=3) != TASK.problem("test", 12, 0, seed=4)
    assert parse_prompt(TASK.problem("test", 12, 0).prompt) == TASK.problem("test", 12, 0).meta["items"]


def test_training_and_test_streams_are_disjoint():
    train = {TASK.problem("train", 3, i).prompt for i in range(3000)}
    test = {TASK.problem("test", n, i).prompt for n in (1, 2, 3) for i in range(600)}
    assert len(train) > 2000 and len(test) > 1000
    assert not train & test
    assert {TASK.split_of(TASK.problem(s, 1, i)) for s in ("train", "test") for i in range(20)} == {
        "train",
        "test",
    }
