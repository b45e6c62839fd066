"""Code tracing: oracle replay through gymnasium.make, a checker that runs Python, the
program language, bounded decisions, linear cost, seeding and disjoint splits."""

import ast
import re

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given
from hypothesis import strategies as st

import toolenv
from tasks.code_tracing import validate_program
from toolenv import vocab
from toolenv.checks import check_task
from toolenv.trajectory import AGENT_ROLES, Role

TASK = toolenv.get_task("code_tracing")
WINDOW = 192
"""Every oracle decision is a function of the last WINDOW context tokens. The longest reach is
the state line written after walking back over a three-line loop body (158 tokens)."""
EXAMPLE = "b=4\na=(b+7)%10\nfor _ in range(3):\n    b=a*b%10\nprint(a,b)\n"


def play(problem):
    """Replay the oracle's actions in ``gym.make``'s env; returns reward, last info, context."""
    env = gym.make("toolenv/CodeTracing-v0")
    obs, _ = env.reset(options={"problem": problem})
    context = obs.tolist()
    terminated = truncated = False
    for action in TASK.oracle(problem).actions():
        assert not (terminated or truncated), "episode ended before the oracle finished"
        obs, reward, terminated, truncated, info = env.step(action)
        context += obs.tolist()
    assert terminated and not truncated
    return reward, info, context


def thoughts(problem) -> list[str]:
    """The oracle's thought lines, in order."""
    trajectory = TASK.oracle(problem)
    text = "".join(
        vocab.token_name(t) for t, r in zip(trajectory.tokens.tolist(), trajectory.roles.tolist()) if r == Role.THOUGHT
    )
    return text.split("\n")[:-1]


def executed_assignments(program: str) -> int:
    """Assignments Python executes, counted from the syntax tree (independent of the task)."""
    count = 0
    for node in ast.parse(program).body:
        if isinstance(node, ast.Assign):
            count += 1
        elif isinstance(node, ast.For):
            count += node.iter.args[0].value * len(node.body)
    return count


def test_task_contract_and_check_env_in_every_regime():
    for regime in toolenv.REGIMES:
        check_env(
            gym.make("toolenv/CodeTracing-v0", regime=regime, length=4).unwrapped, skip_render_check=True
        )
    check_task(TASK, lengths=(1, 2, 6))


@given(length=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_oracle_replay_traces_every_small_length(length, seed):
    problem = TASK.sample(np.random.default_rng(seed), length)
    assert problem.length == length == executed_assignments(problem.prompt)
    reward, info, context = play(problem)
    assert reward == 1.0 and info["output"] == problem.answer
    assert context == TASK.oracle(problem).tokens.tolist()


@pytest.mark.parametrize("length", [500, 1000])
def test_oracle_replay_traces_long_programs(length):
    problem = TASK.problem("test", length, 0)
    assert executed_assignments(problem.prompt) == length
    reward, info, context = play(problem)
    assert reward == 1.0 and info["output"] == problem.answer
    assert context == TASK.oracle(problem).tokens.tolist()


def test_documented_example():
    problem = TASK.make_problem(EXAMPLE)
    assert (problem.answer, problem.length) == ("1 4", 5)
    text = TASK.oracle(problem).text()
    assert "a1b4|3\n" in text and "a1b4|2\n" in text and "a1b4|1\n" in text and "|0" not in text
    assert thoughts(problem) == [
        "b4", "4+7=1", "a1b4", "a1b4|3",  # the for line writes its range as read
        "1*4=4", "a1b4|3", "a1b4|2",  # first iteration, walk back
        "1*4=4", "a1b4|2", "a1b4|1",
        "1*4=4", "a1b4",  # the last iteration drops the count
    ]
    assert text.count("[p1.left][p1.read]:") == 2  # two walks back for three iterations
    assert TASK.oracle(problem).output() == "1 4"


def expected_operand_lines(program: str) -> list[str]:
    """``3*4=2`` for each executed +, - or * assignment, computed by running the statements with
    Python's exec (independent of the task's interpreter)."""
    expected, namespace = [], {}
    for node in ast.parse(program).body:
        if isinstance(node, ast.Assign):
            statements = [node]
        elif isinstance(node, ast.For):
            statements = node.body * node.iter.args[0].value
        else:
            continue
        for statement in statements:
            source = ast.unparse(statement).replace(" ", "")
            if match := re.fullmatch(r"[abcd]=\(?(\w)([+*-])(\w)\)?%10", source):
                u, op, v = match.groups()
                values = [w if w.isdigit() else str(namespace[w]) for w in (u, v)]
                exec(source, {}, namespace)  # noqa: S102 (a generated assignment)
                expected.append(f"{values[0]}{op}{values[1]}={namespace[source[0]]}")
            else:
                exec(source, {}, namespace)  # noqa: S102
    return expected


@given(length=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_operand_lines_hold_the_operands_values_and_the_result(length, seed):
    """Before the state line of each +, - or * assignment: the operands' values, the operator and
    the result mod 10, in execution order; the state line after it holds that result."""
    problem = TASK.sample(np.random.default_rng(seed), length)
    lines = thoughts(problem)
    operand_lines = [line for line in lines if "=" in line]
    assert operand_lines == expected_operand_lines(problem.prompt)
    for i, line in enumerate(lines):
        if "=" in line:
            assert re.fullmatch(r"([abcd]\d)+(\|\d)?", lines[i + 1]) and line[-1] in lines[i + 1], line


def test_generated_programs_cover_the_language():
    rng = np.random.default_rng(0)
    programs = [TASK.sample(rng, 25).prompt for _ in range(200)]
    text = "".join(programs)
    for pattern in [
        r"^[abcd]=\d$",
        r"^[abcd]=[abcd]$",
        r"\(.[+].\)%10",
        r"\(.-.\)%10",
        r"^ *[abcd]=.\*.%10$",
    ]:
        assert re.search(pattern, text, re.MULTILINE), pattern
    repeats = {int(r) for r in re.findall(r"range\((\d)\)", text)}
    assert repeats == {2, 3, 4}
    for program in programs:
        validate_program(program)
        for node in ast.parse(program).body:
            if isinstance(node, ast.For):
                assert 1 <= len(node.body) <= 3 and all(isinstance(s, ast.Assign) for s in node.body)
        assert re.fullmatch(r"\d( \d)*", TASK.make_problem(program).answer)


def test_checker_runs_python_not_the_oracle(monkeypatch):
    monkeypatch.setattr(type(TASK), "oracle", lambda *a: pytest.fail("check called the oracle"))
    negative = TASK.make_problem("a=3\nb=(a-7)%10\nc=b*b%10\nprint(a,b,c)\n")  # Python's % is never negative
    assert TASK.check(negative, "3 6 6")
    problem = TASK.make_problem(EXAMPLE)
    assert TASK.check(problem, "1 4")
    for bad in ["1 5", "14", "1 4 ", "1,4", "1", "", "1 4\n"]:
        assert not TASK.check(problem, bad), bad


def test_programs_outside_the_language_are_refused():
    for program, reason in [
        ("import os\nprint(a)\n", "line 1"),
        ("a=1\nprint(a)", "print"),
        ("a=1\nfor _ in range(2):\nb=a\nprint(a)\n", "indented body"),
        ("a=1\n    b=a\nprint(a,b)\n", "loop body"),
        ("a=(a+1)%10\nprint(a)\n", "before it is assigned"),
        ("a=1\nprint(a,b)\n", "unassigned"),
        ("a=1\nb=a/2\nprint(b)\n", "line 2"),
        ("a=1\nfor _ in range(2):\n    a=1\n    a=2\n    a=3\n    a=4\nprint(a)\n", "at most 3"),
        ("a=1\nfor _ in range(1):\n    a=1\nprint(a)\n", "line 2"),
    ]:
        with pytest.raises(ValueError, match=re.escape(reason)):
            TASK.make_problem(program)
    bad = toolenv.Problem("code_tracing", 1, "__import__('os')\nprint(a)\n", "0")
    with pytest.raises(ValueError):
        TASK.check(bad, "0")


def test_changing_one_output_token_gives_reward_zero():
    problem = TASK.make_problem(EXAMPLE)
    actions = list(TASK.oracle(problem).actions())
    for i in range(actions.index(vocab.ANS) + 1, len(actions) - 1):
        if vocab.token_name(actions[i]).startswith("[p1"):
            continue
        env = gym.make("toolenv/CodeTracing-v0")
        env.reset(options={"problem": problem})
        wrong = vocab.token_id("7" if vocab.token_name(actions[i]) != "7" else "8")
        for j, action in enumerate(actions):
            *_, reward, terminated, truncated, info = env.step(wrong if j == i else action)
            if terminated or truncated:
                break
        assert reward == 0.0 and info["output"] != problem.answer


def test_every_decision_depends_on_a_bounded_window_only():
    """Equal last-WINDOW contexts, equal next action, across lengths 1..40 and 400."""
    rng = np.random.default_rng(0)
    decisions: dict[tuple, int] = {}
    agent = [int(r) for r in AGENT_ROLES]
    for length in [*range(1, 41), *range(1, 41), 400]:
        trajectory = TASK.oracle(TASK.sample(rng, length))
        tokens = [-1] * WINDOW + trajectory.tokens.tolist()
        for i in np.flatnonzero(np.isin(trajectory.roles, agent)).tolist():
            window = tuple(tokens[i : i + WINDOW])
            assert decisions.setdefault(window, tokens[i + WINDOW]) == tokens[i + WINDOW], (
                f"length {length}: context {vocab.decode([t for t in window if t >= 0])[-80:]!r} has two next actions"
            )


def test_trajectory_grows_linearly():
    sizes = {n: len(TASK.oracle(TASK.problem("test", n, 0))) for n in (10, 100, 1000)}
    assert all(size <= 90 * n + 100 for n, size in sizes.items()), sizes
    assert sizes[1000] / sizes[100] < 10.5


def test_same_seed_same_problems():
    assert TASK.sample(np.random.default_rng(4), 9) == TASK.sample(np.random.default_rng(4), 9)
    assert [TASK.problem("test", 12, i, seed=3) for i in range(5)] == [
        TASK.problem("test", 12, i, seed=3) for i in range(5)
    ]
    assert TASK.problem("test", 12, 0, seed=3) != TASK.problem("test", 12, 0, seed=4)
    with pytest.raises(toolenv.LengthError):
        TASK.sample(np.random.default_rng(0), 0)


def test_training_and_test_streams_are_disjoint():
    train = {TASK.problem("train", 3, i).prompt for i in range(3000)}
    test = {TASK.problem("test", n, i).prompt for n in (1, 2, 3) for i in range(600)}
    assert len(train) > 1000 and len(test) > 500
    assert not train & test
    # length 1 has only 40 programs (x=k); both splits still get some, and never the same
    assert {TASK.split_of(TASK.problem(s, 1, i)) for s in ("train", "test") for i in range(20)} == {
        "train",
        "test",
    }


def test_error_reach_script_replays_programs_and_injects_one_error():
    """scripts/code_tracing_error_reach.py: without an error its final state is the answer; an
    error at the last assignment always changes the printed values."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "code_tracing_error_reach.py"
    spec = importlib.util.spec_from_file_location("code_tracing_error_reach", path)
    reach = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reach)
    for length in (1, 7, 40):
        problem = TASK.problem("test", length, 3)
        state = reach.final_state(problem.prompt)
        assert " ".join(str(state[v]) for v in sorted(state)) == problem.answer
        assert reach.final_state(problem.prompt, length - 1, 4) != state
