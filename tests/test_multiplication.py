"""Multiplication n×1 and n×2: oracle replay through gymnasium.make at short and long lengths, a
checker on Python integers, bounded decisions, seeding, disjoint splits, bad input, and the
batched rollout engine giving ToolEnv's episodes."""

import sys

import gymnasium as gym
import numpy as np
import pytest
from engine_check import assert_engine_equals_toolenv
from gymnasium.utils.env_checker import check_env
from hypothesis import given
from hypothesis import strategies as st

import toolenv
from tasks.multiplication import MultiplicationNx1, MultiplicationNx2
from toolenv import vocab
from toolenv.checks import check_task, decision_clash, replay

for _cls in (MultiplicationNx1, MultiplicationNx2):  # the entry points may not be installed yet
    toolenv.register_task(_cls)
TASKS = [toolenv.get_task("multiplication_nx1"), toolenv.get_task("multiplication_nx2")]
IDS = [t.name for t in TASKS]
WINDOW = 11
"""Every oracle decision is a function of the last WINDOW context tokens (measured: 11 suffice,
10 do not: an addition step's incoming carry is 11 tokens back)."""


def play(task, problem):
    """Replay the oracle's actions in ``gym.make``'s env; returns reward, last info, context."""
    env = gym.make(toolenv.gym_id(task.name))
    obs, _ = env.reset(options={"problem": problem})
    context = obs.tolist()
    terminated = truncated = False
    for action in task.oracle(problem).actions():
        assert not (terminated or truncated), "episode ended before the oracle finished"
        obs, reward, terminated, truncated, info = env.step(action)
        context += obs.tolist()
    assert terminated and not truncated
    return reward, info, context


def product(problem):
    """``a*b`` in decimal, by Python integers (digit limit lifted here only: the checker must
    cope with the default one)."""
    a, b = problem.prompt[:-1].split("*")
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(int(a) * int(b))
    finally:
        sys.set_int_max_str_digits(limit)


def _bump(digit):
    return str((int(digit) + 1) % 10)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_task_contract_and_check_env_in_every_regime(task):
    for regime in toolenv.REGIMES:
        check_env(
            gym.make(toolenv.gym_id(task.name), regime=regime, length=4).unwrapped, skip_render_check=True
        )
    check_task(task, lengths=(1, 2, 7))


@given(task=st.sampled_from(TASKS), length=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_oracle_replay_multiplies_at_every_small_length(task, length, seed):
    problem = task.sample(np.random.default_rng(seed), length)
    a, b = problem.meta["a"], problem.meta["b"]
    assert len(a) == problem.length == length and len(b) == task.b_digits
    assert problem.answer == str(int(a) * int(b))
    reward, info, context = play(task, problem)
    assert reward == 1.0 and info["output"] == str(int(a) * int(b))
    assert context == task.oracle(problem).tokens.tolist()


@pytest.mark.parametrize("task", TASKS, ids=IDS)
@pytest.mark.parametrize("length", [100, 500, 1000])
def test_oracle_replay_multiplies_long_numbers(task, length):
    problem = task.problem("test", length, 0)
    reward, info, rebuilt = replay(task, problem)
    assert reward == 1.0 and info["output"] == product(problem)
    assert rebuilt == task.oracle(problem)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_zeros_carries_and_one_digit_b_are_multiplied(task):
    bs = ["0", "1", "7", "9"] + (["10", "50", "99"] if task.b_digits == 2 else [])
    for a in ["0", "1", "9", "10", "99999", "100000", "123456789"]:
        for b in bs:
            problem = task.make_problem(a, b)
            assert task.oracle(problem).output() == problem.answer == str(int(a) * int(b)), (a, b)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_checker_uses_python_integers_not_the_oracle(task, monkeypatch):
    rng = np.random.default_rng(0)
    problems = [task.sample_train(rng, 10) for _ in range(200)] + [task.sample(rng, 6000)]
    monkeypatch.setattr(type(task), "oracle", lambda *a: pytest.fail("check called the oracle"))
    for p in problems:  # 6000 digits: above Python's default 4300-digit int<->str limit
        c = product(p)
        assert task.check(p, c)
        for bad in (
            c[:-1] + _bump(c[-1]),
            _bump(c[0]) + c[1:],
            c + "0",
            "0" + c,
            "",
            "-" + c,
            c + " ",
            c[:-1],
        ):
            if bad != c:
                assert not task.check(p, bad), bad


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_changing_any_single_output_token_gives_reward_zero(task):
    problem = task.make_problem("987654", "7" if task.b_digits == 1 else "83")
    actions = list(task.oracle(problem).actions())
    start = actions.index(vocab.ANS) + 1
    digits = [i for i in range(start, len(actions)) if vocab.is_char(actions[i])]
    assert "".join(vocab.token_name(actions[i]) for i in digits) == problem.answer
    for i in digits:
        wrong = vocab.token_id(_bump(vocab.token_name(actions[i])))
        env = gym.make(toolenv.gym_id(task.name))
        env.reset(options={"problem": problem})
        for j, action in enumerate(actions):
            *_, reward, terminated, truncated, info = env.step(wrong if j == i else action)
            if terminated or truncated:
                break
        assert reward == 0.0 and info["output"] != problem.answer, f"changing output token {i} kept reward 1"


def _trajectories():
    rng = np.random.default_rng(0)
    out = []
    for task in TASKS:
        for length in [*range(1, 31), 300]:
            out += [
                task.oracle(task.sample(rng, length)),
                task.oracle(task.sample_train(rng, max(length, 2))),
            ]
        for a in ["0", "9", "99999", "1000"]:
            for b in ["0", "1", "9"] + (["10", "99"] if task.b_digits == 2 else []):
                out.append(task.oracle(task.make_problem(a, b)))
    return out


def test_every_decision_depends_on_a_bounded_window_only():
    """Equal last-WINDOW contexts, equal next action, over both variants, lengths 1..30 and 300,
    training shapes (one-digit b in n×2), zeros and carries: a count of digits or a phase held
    in memory would clash. WINDOW is tight: one token less does clash."""
    trajectories = _trajectories()
    assert decision_clash(trajectories, WINDOW) is None
    assert decision_clash(trajectories, WINDOW - 1) is not None


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_trajectory_grows_linearly(task):
    sizes = {n: len(task.oracle(task.problem("test", n, 0))) for n in (10, 100, 1000)}
    per_digit = 26 if task.b_digits == 1 else 55
    assert sizes[1000] <= per_digit * 1000 and sizes[1000] / sizes[100] < 10.1


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_training_problems_follow_the_paper(task):
    """a has U{1..n} digits, b one digit (n×1) or U{1, 2} digits (n×2); length = digits of a."""
    rng = np.random.default_rng(0)
    problems = [task.sample_train(rng, 10) for _ in range(1000)]
    shapes = {(len(p.meta["a"]), len(p.meta["b"])) for p in problems}
    assert shapes == {(i, j) for i in range(1, 11) for j in range(1, task.b_digits + 1)}
    assert all(p.length == len(p.meta["a"]) for p in problems)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_same_seed_same_problems(task):
    assert task.sample(np.random.default_rng(4), 9) == task.sample(np.random.default_rng(4), 9)
    assert [task.problem("test", 12, i, seed=3) for i in range(5)] == [
        task.problem("test", 12, i, seed=3) for i in range(5)
    ]
    assert task.problem("test", 12, 0, seed=3) != task.problem("test", 12, 0, seed=4)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_training_and_test_streams_are_disjoint(task):
    train = {task.problem("train", 3, i).prompt for i in range(5000)}
    test = {task.problem("test", n, i).prompt for n in (1, 2, 3) for i in range(800)}
    assert len(train) > 1000 and len(test) > 500
    assert not train & test
    assert {task.split_of(task.problem(s, 1, i)) for s in ("train", "test") for i in range(20)} == {
        "train",
        "test",
    }


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_bad_input_gets_clear_errors(task):
    rng = np.random.default_rng(0)
    with pytest.raises(toolenv.LengthError, match="length"):
        task.sample(rng, -3)
    for length in (0, task.max_length + 1):
        with pytest.raises(toolenv.LengthError, match="length"):
            task.sample(rng, length)
        with pytest.raises(toolenv.LengthError, match="length"):
            task.problem("test", length, 0)
        with pytest.raises(toolenv.LengthError, match="length"):
            gym.make(toolenv.gym_id(task.name), length=length)
    with pytest.raises(toolenv.LengthError):
        task.sample_train(rng, 0)
    assert task.max_length >= 1000 and task.train_length == task.default_length == 10
    with pytest.raises(ValueError, match="at most"):
        task.make_problem("12", "1" * (task.b_digits + 1))
    for a, b in (("012", "3"), ("12", "03"), ("-5", "3"), ("1x", "3"), ("", "3")):
        with pytest.raises(ValueError, match="canonical"):
            task.make_problem(a, b)
    bad = toolenv.Problem(task.name, 2, "12+3=", "15", {})
    with pytest.raises(ValueError, match="not a prompt"):
        task.oracle(bad)
    with pytest.raises(ValueError, match="not a prompt"):
        task.check(bad, "15")


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_batched_rollouts_equal_toolenv(task):
    """The engine plays the same episodes as ToolEnv: teacher in every regime, and a careless
    teacher (invalid commands, early [EOS], wrong digits, truncation)."""
    problems = [task.problem("test", n, i) for n in (1, 2, 5) for i in range(2)]
    problems += [task.problem("train", 6, i) for i in range(4)]
    mistakes = [vocab.pointer_command(3, "read"), vocab.EOS, vocab.token_id("5"), vocab.pointer_command(1, "left")]
    endings = assert_engine_equals_toolenv(task, problems, mistakes, short_limit=60)
    assert {"invalid", "truncated", "True", "False"} <= endings
