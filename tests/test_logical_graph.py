"""Logical graph: check_env in every regime, oracle replay through ToolEnv (reference search tool)
at 1-30, 100 and 500 gates, the oracle's indexed search equal to SearchMemory, a checker that
evaluates the DAG itself and rejects corrupted outputs, the DFS stack kept in memory, bounded
decisions, the documented sizes, seeding, disjoint splits, bad input, and the batched rollout
engine giving ToolEnv's episodes."""

import ast
import functools
import re
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from engine_check import assert_engine_equals_toolenv
from gymnasium.utils.env_checker import check_env
from hypothesis import given
from hypothesis import strategies as st

import toolenv
from tasks.logical_graph import LogicalGraph
from toolenv import vocab
from toolenv.checks import check_task, decision_clash, replay

toolenv.register_task(LogicalGraph)  # the entry point may not be installed yet
TASK = toolenv.get_task("logical_graph")


def window(digits: int) -> int:
    """Every oracle decision is a function of the last ``window(d)`` context tokens when labels
    have at most d digits. The longest reach is a value line: the gate's label sits in its
    definition (3d + 18 tokens from the label to its [end]), two operand searches back (each
    at most 5d + 31 tokens: a query and a resolved gate's definition and value line)."""
    return 13 * digits + 81


DOC = Path(__file__).resolve().parent.parent / "docs" / "tasks" / "logical_graph.md"
EXAMPLE = (
    "v630=True\nv872=False\nv105=True\n"
    "v311=v630 and not v872\nv457=not v311 or v105\nv220=v457 and v311\nprint(v220)\n"
)


@functools.cache
def oracle_at(n):
    """Test problem 0 at n gates and its oracle trajectory (built once per session)."""
    problem = TASK.problem("test", n, 0)
    return problem, TASK.oracle(problem)


def evaluate_dag(program: str) -> tuple[int, bool]:
    """The test's own evaluator (no exec, no task code): (gates, value of the printed node),
    from Python's syntax tree."""
    values: dict[str, bool] = {}
    gates = 0

    def value(node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not value(node.operand)
        assert isinstance(node, ast.BoolOp) and len(node.values) == 2
        a, b = (value(v) for v in node.values)
        return (a and b) if isinstance(node.op, ast.And) else (a or b)

    *assignments, last = ast.parse(program).body
    for statement in assignments:
        gates += not isinstance(statement.value, ast.Constant)
        values[statement.targets[0].id] = value(statement.value)
    return gates, values[last.value.args[0].id]


def relabel(program: str, rng: np.random.Generator) -> str:
    """The same graph with labels v0..v{k-1} in a random order (k labels): small programs then
    share labels, so equal windows from different graphs are common."""
    labels = list(dict.fromkeys(re.findall(r"v\d+", program)))
    new = {old: f"v{k}" for old, k in zip(labels, rng.permutation(len(labels)))}
    return re.sub(r"v\d+", lambda m: new[m.group(0)], program)


# -- contract and replay ---------------------------------------------------------------------


def test_task_contract_and_check_env_in_every_regime():
    for regime in toolenv.REGIMES:
        env = gym.make("toolenv/LogicalGraph-v0", regime=regime, length=4)
        check_env(env.unwrapped, skip_render_check=True)
    check_task(TASK, lengths=(1, 2, 6))
    assert isinstance(TASK.make_tool(), toolenv.SearchMemory) and TASK.tool_spec == "search"


@given(length=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_oracle_replay_evaluates_every_small_graph(length, seed):
    problem = TASK.sample(np.random.default_rng(seed), length)
    gates, value = evaluate_dag(problem.prompt)
    assert problem.length == length == gates and problem.answer == str(value)
    trajectory = TASK.oracle(problem)
    reward, info, rebuilt = replay(TASK, problem, trajectory=trajectory)
    assert reward == 1.0 and info["output"] == problem.answer
    assert rebuilt == trajectory


@pytest.mark.parametrize("length", [100, 500])
def test_oracle_replay_evaluates_large_graphs(length):
    problem, trajectory = oracle_at(length)
    reward, info, rebuilt = replay(TASK, problem, trajectory=trajectory)
    assert reward == 1.0 and info["output"] == str(evaluate_dag(problem.prompt)[1]) and rebuilt == trajectory


def test_oracle_is_right_at_a_thousand_gates():
    """1,000 gates: the oracle's answer (replay through the reference tool costs about a minute,
    its search is quadratic in Python; the indexed copy is tested equal below)."""
    problem, trajectory = oracle_at(1000)
    assert trajectory.output() == problem.answer == str(evaluate_dag(problem.prompt)[1])
    assert TASK.check(problem, trajectory.output())


def test_documented_example():
    problem = TASK.make_problem(EXAMPLE)
    assert (problem.length, problem.answer, problem.meta["output"]) == (3, "True", "v220")
    trajectory = TASK.oracle(problem)
    thoughts = "".join(
        vocab.decode([t]) for t, r in zip(trajectory.tokens, trajectory.roles) if r == toolenv.Role.THOUGHT
    )
    assert thoughts == "v457 for v220\nv311 for v457\nv311=True\nv457=True\nv220=True\n"
    assert trajectory.text().endswith("[find]v220 for[/find][end][ANS]True[EOS]")
    assert trajectory.text() in DOC.read_text().replace("\n    ", "\n")


# -- the algorithm: DFS with its stack in memory, linear cost, bounded decisions ----------------


def test_every_gate_is_resolved_once_and_the_stack_lives_in_memory():
    """The thoughts are one value line per gate (the output's last) and one descent line per
    gate but the output; each ``vY for`` search finds exactly its one parent, the output's
    finds nothing."""
    rng = np.random.default_rng(1)
    for n in [*range(1, 20), 60]:
        problem = TASK.sample(rng, n)
        trajectory = TASK.oracle(problem)
        thought = vocab.text_of(trajectory.tokens[trajectory.roles == toolenv.Role.THOUGHT].tolist())
        lines = thought.split("\n")[:-1]
        resolved = [line.split("=")[0] for line in lines if re.fullmatch(r"v\d+=(True|False)", line)]
        descents = [line.split(" for ")[0] for line in lines if re.fullmatch(r"v\d+ for v\d+", line)]
        assert len(resolved) + len(descents) == len(lines)
        gates = re.findall(r"^(v\d+)=(?!True|False)", problem.prompt, re.MULTILINE)
        assert sorted(resolved) == sorted(gates) and resolved[-1] == problem.meta["output"]
        assert sorted(descents) == sorted(set(gates) - {problem.meta["output"]})
        parents = re.findall(r"\[find\]v\d+ for\[/find\](.*?)\[end\]", trajectory.text(), re.DOTALL)
        assert [found.count("\n") for found in parents] == [1] * (n - 1) + [0]


def test_trajectory_grows_linearly():
    sizes = {n: len(oracle_at(n)[1]) for n in (10, 100, 1000)}
    assert all(size <= 240 * n + 200 for n, size in sizes.items()), sizes
    assert sizes[1000] / sizes[100] < 12  # labels get a digit longer past 1,000 nodes
    finds = {n: int((oracle_at(n)[1].tokens == vocab.FIND).sum()) / n for n in (100, 500, 1000)}
    assert all(5 < f < 5.5 for f in finds.values()), finds


def test_every_decision_depends_on_a_bounded_window_only():
    """Equal last-``window(d)`` contexts, equal next action, over graphs of 1..12 gates (and 40,
    100) relabeled v0, v1, ...: small graphs share labels, so a stack or a count held in the
    model's state would clash. One-digit labels up to 7 gates, three digits at 100."""
    rng = np.random.default_rng(0)
    problems = [TASK.sample(rng, n) for n in [*range(1, 13)] * 15 + [40, 100]]
    trajectories = [TASK.oracle(TASK.make_problem(relabel(p.prompt, rng))) for p in problems]
    one_digit = [t for p, t in zip(problems, trajectories) if p.length <= 7]
    assert decision_clash(one_digit, window(1)) is None
    assert decision_clash(trajectories, window(3)) is None
    assert decision_clash(trajectories, 60) is not None  # the test has power: shorter windows clash


def _doc_table():
    """The rows ``| gates | trajectory tokens | ... | agent tokens | step limit |`` of the doc."""
    section = DOC.read_text().split("<!-- sizes -->")[1].split("<!-- /sizes -->")[0]
    rows = re.findall(r"^\| *([\d,]+) *\|([^|]+)\|[^|]+\|[^|]+\|([^|]+)\|([^|]+)\|", section, re.MULTILINE)
    return {int(n.replace(",", "")): tuple(int(x.replace(",", "")) for x in rest) for n, *rest in rows}


def test_documented_trajectory_sizes_are_measured():
    table = _doc_table()
    assert sorted(table) == [1, 10, 100, 500, 1000]
    for n, row in table.items():
        trajectory = oracle_at(n)[1]
        agent = sum(1 for _ in trajectory.actions())
        assert row == (len(trajectory), agent, TASK.step_limit(agent)), n


# -- generator ---------------------------------------------------------------------------------


def test_generated_graphs_cover_the_language():
    rng = np.random.default_rng(0)
    problems = [TASK.sample(rng, n) for n in (1, 2, 5, 25) for _ in range(100)]
    text = "".join(p.prompt for p in problems)
    for pattern in [r"=v\d+$", r"=not v\d+$", r" and not v", r" or v", r"=not v\d+ and v", r"=v\d+ or not"]:
        assert re.search(pattern, text, re.MULTILINE), pattern
    assert {p.answer for p in problems} == {"True", "False"}
    for p in problems:
        labels = re.findall(r"^(v\d+)=", p.prompt, re.MULTILINE)
        assert len(labels) == len(set(labels)) == 3 + p.length
        assert all(int(label[1:]) < 1000 for label in labels)
        assert p.prompt.count("=True\n") + p.prompt.count("=False\n") == 3
    big = TASK.sample(rng, 998).prompt  # 1,001 nodes: labels below 10,000
    assert max(int(x) for x in re.findall(r"^v(\d+)=", big, re.MULTILINE)) >= 1000


def test_same_seed_same_problems():
    assert TASK.sample(np.random.default_rng(4), 9) == TASK.sample(np.random.default_rng(4), 9)
    assert [TASK.problem("test", 12, i, seed=3) for i in range(5)] == [
        TASK.problem("test", 12, i, seed=3) for i in range(5)
    ]
    assert TASK.problem("test", 12, 0, seed=3) != TASK.problem("test", 12, 0, seed=4)
    env = gym.make("toolenv/LogicalGraph-v0", length=7)
    assert env.reset(seed=11)[1]["problem"] == env.reset(seed=11)[1]["problem"]


def test_training_and_test_streams_are_disjoint():
    train = [TASK.problem("train", 10, i) for i in range(3000)]
    test = [TASK.problem("test", n, i) for n in (1, 2, 3, 5, 10) for i in range(300)]
    train_prompts, test_prompts = {p.prompt for p in train}, {p.prompt for p in test}
    assert len(train_prompts) == 3000 and len(test_prompts) == 1500
    assert not train_prompts & test_prompts
    assert {TASK.split_of(p) for p in train} == {"train"} and {TASK.split_of(p) for p in test} == {"test"}
    assert {p.length for p in train} == set(range(1, 11))


# -- checker and bad input ---------------------------------------------------------------------


def test_checker_evaluates_the_graph_not_the_oracle(monkeypatch):
    rng = np.random.default_rng(2)
    problems = [TASK.sample_train(rng, 10) for _ in range(200)] + [TASK.sample(rng, 2000)]
    problems.append(TASK.make_problem("v1=True\nv2=False\nv3=False\nv4=not v1 or v2\nprint(v4)\n"))
    monkeypatch.setattr(type(TASK), "oracle", lambda *a: pytest.fail("check called the oracle"))
    for p in problems:
        right = str(evaluate_dag(p.prompt)[1])
        wrong = "False" if right == "True" else "True"
        assert TASK.check(p, right)
        for bad in (
            wrong,
            right.lower(),
            right + "\n",
            " " + right,
            right[:-1],
            "1" if right == "True" else "0",
            "",
        ):
            assert not TASK.check(p, bad), bad
    assert problems[-1].answer == "False"


def test_changing_the_output_gives_reward_zero():
    problem = TASK.make_problem(EXAMPLE)
    actions = list(TASK.oracle(problem).actions())
    ans = actions.index(vocab.ANS)
    for i in range(ans + 1, len(actions) - 1):
        for wrong in ("F", "t", "x"):
            env = toolenv.ToolEnv(TASK)
            env.reset(options={"problem": problem})
            for j, action in enumerate(actions):
                *_, reward, terminated, truncated, info = env.step(
                    vocab.token_id(wrong) if j == i else action
                )
                if terminated or truncated:
                    break
            assert reward == 0.0 and info["output"] != problem.answer


def test_programs_outside_the_language_are_refused():
    inputs = "v1=True\nv2=False\n"
    for program, reason in [
        (inputs + "v3=v1 and v2\nprint(v3)", "newline"),
        (inputs + "print(v1)\n", "must name a gate"),
        (inputs + "v3=v1 and v2\nprint(v1)\n", "must name a gate"),
        (inputs + "v3=v1 and v9\nprint(v3)\n", "v9 used before it is defined"),
        (inputs + "v3=v3\nprint(v3)\n", "v3 used before"),
        (inputs + "v1=not v2\nprint(v1)\n", "defined twice"),
        (inputs + "v3=v1 xor v2\nprint(v3)\n", "line 3"),
        (inputs + "v3=v1 and v2 or v1\nprint(v3)\n", "line 3"),
        (inputs + "v3=(v1)\nprint(v3)\n", "line 3"),
        ("v1=True\nv3=not v1\nv2=False\nv4=v2\nprint(v4)\n", "after the first gate"),
        ("import os\nv3=v1\nprint(v3)\n", "line 1"),
    ]:
        with pytest.raises(ValueError, match=re.escape(reason)):
            TASK.make_problem(program)
    with pytest.raises(ValueError, match="line 1"):
        TASK.check(toolenv.Problem("logical_graph", 1, "__import__('os')\nprint(v1)\n", "True"), "True")
    for length in (0, -1, TASK.max_length + 1):
        with pytest.raises(toolenv.LengthError, match="length"):
            TASK.sample(np.random.default_rng(0), length)


# -- the batched rollout engine ----------------------------------------------------------------


def test_batched_rollouts_equal_toolenv():
    """The engine plays the same episodes as ToolEnv: teacher in every regime, and a careless
    teacher (rejected commands, early [EOS], wrong labels, truncation)."""
    problems = [TASK.problem("test", n, i) for n in (1, 2, 3) for i in range(2)]
    problems += [TASK.problem("train", 10, i) for i in range(4)]
    mistakes = [vocab.pointer_command(1, "read"), vocab.EOS, vocab.token_id("7"), vocab.FIND_END]
    endings = assert_engine_equals_toolenv(TASK, problems, mistakes, short_limit=150)
    assert {"invalid", "True"} <= endings and ("truncated" in endings or "False" in endings), endings
