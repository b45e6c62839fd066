"""Logical graph: check_env in every regime, oracle replay through ToolEnv at 1-30, 100, 500 and
1,000 gates, a checker that evaluates the DAG itself and rejects corrupted outputs, operand
values substituted into expression lines (each operand searched until substituted, never
after; every substituted line a copy of the line above), the resolved rule at every search, the DFS stack kept in memory, bounded decisions,
the documented sizes, seeding, disjoint splits, bad input, and the batched rollout engine
giving ToolEnv's episodes."""

import ast
import functools
import itertools
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
from tasks.logical_graph import LogicalGraph, labels_repeating_a_digit, relabel
from toolenv import vocab
from toolenv.checks import check_task, decision_clash, replay

toolenv.register_task(LogicalGraph)  # the entry point may not be installed yet
TASK = toolenv.get_task("logical_graph")


def window(digits: int) -> int:
    """Every oracle decision is a function of the last ``window(d)`` context tokens when labels
    have at most d digits. The longest reach is the query that finds a gate's lines again after
    an operand search: it copies the gate's label from the start of the line before that search
    (an expression line, 3d + 18 tokens, 3 more where ``False`` replaces a one-digit label),
    across the operand's query (d + 4) and its result (at most 7d + 75: a resolved gate's
    definition, two expression lines, value line and [end]), plus the query's ``[find]v``."""
    return 11 * digits + 100


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
    *assignments, last = ast.parse(program).body
    gates = sum(not isinstance(statement.value, ast.Constant) for statement in assignments)
    return gates, node_values(program)[last.value.args[0].id]


def node_values(program: str) -> dict[str, bool]:
    """Every node's value, from Python's syntax tree (no exec, no task code)."""
    values: dict[str, bool] = {}

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

    for statement in ast.parse(program).body[:-1]:
        values[statement.targets[0].id] = value(statement.value)
    return values


def small_labels(program: str, rng: np.random.Generator) -> str:
    """The same graph with labels v0..v{k-1} in a random order (k labels): small programs then
    share labels, so equal windows from different graphs are common."""
    labels = list(dict.fromkeys(re.findall(r"v\d+", program)))
    return relabel(program, {old: f"v{k}" for old, k in zip(labels, rng.permutation(len(labels)))})


COPY_CHAINS = (  # copies and negated copies, an output that is a copy, labels sharing prefixes
    (
        "v1=True\nv2=False\nv11=True\nv12=v1\nv112=not v12\nv21=not v112\nv121=v21 and not v11\n"
        "v211=v121\nv111=not v211 or v12\nprint(v111)\n"
    ),
    "v3=False\nv5=True\nv7=True\nv9=not v3\nv8=v9\nprint(v8)\n",
)


@functools.cache
def varied_oracles():
    """(problem, oracle trajectory) for 300 random graphs of 1-30 gates, three 120-gate graphs
    relabeled v0, v1, ... (so v1, v11, v111 and v12, v112 all occur) and COPY_CHAINS."""
    rng = np.random.default_rng(5)
    problems = [TASK.sample(rng, n) for n in range(1, 31) for _ in range(10)]
    problems += [TASK.make_problem(small_labels(TASK.sample(rng, 120).prompt, rng)) for _ in range(3)]
    problems += [TASK.make_problem(program) for program in COPY_CHAINS]
    return [(problem, TASK.oracle(problem)) for problem in problems]


def steps(problem, trajectory) -> list[tuple[str, str, list[str]]]:
    """The trajectory between the prompt and [ANS] as ("find", query, lines found) and
    ("think", line, []) in order."""
    text = trajectory.text()
    assert text.startswith(problem.prompt)
    rest = text[len(problem.prompt) :].split("[ANS]")[0]
    out, end = [], 0
    for m in re.finditer(r"\[find\]([^\[]*)\[/find\]([^\[]*)\[end\]|([^\[\n]*)\n", rest):
        assert m.start() == end, rest[end : m.start()]
        end = m.end()
        out.append(
            ("think", m.group(3), [])
            if m.group(3) is not None
            else ("find", m.group(1), m.group(2).split("\n")[:-1])
        )
    assert end == len(rest)
    return out


def definitions(program: str) -> dict[str, str]:
    """Label -> what its line assigns (``True``/``False`` for an input)."""
    return dict(re.findall(r"^(v\d+)=(.*)$", program, re.MULTILINE))


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


@pytest.mark.parametrize("length", [100, 500, 1000])
def test_oracle_replay_evaluates_large_graphs(length):
    """About 2 s at 1,000 gates (4-digit labels): every search greps the whole memory."""
    problem, trajectory = oracle_at(length)
    reward, info, rebuilt = replay(TASK, problem, trajectory=trajectory)
    assert reward == 1.0 and info["output"] == str(evaluate_dag(problem.prompt)[1]) and rebuilt == trajectory
    assert TASK.check(problem, trajectory.output())


def test_documented_example():
    problem = TASK.make_problem(EXAMPLE)
    assert (problem.length, problem.answer, problem.meta["output"]) == (3, "True", "v220")
    trajectory = TASK.oracle(problem)
    thoughts = "".join(
        vocab.decode([t]) for t, r in zip(trajectory.tokens, trajectory.roles) if r == toolenv.Role.THOUGHT
    )
    assert thoughts == (
        "v457 for v220\nv311 for v457\nv311=True and not v872\nv311=True and not False\nv311=True\n"
        "v457=not True or v105\nv457=not True or True\nv457=True\n"
        "v220=True and v311\nv220=True and True\nv220=True\n"
    )
    assert trajectory.text().endswith("[find]v220 for[/find][end][ANS]True[EOS]")
    assert trajectory.text() in DOC.read_text().replace("\n    ", "\n")


# -- the algorithm: DFS with its stack in memory, linear cost, bounded decisions ----------------


def test_every_gate_is_resolved_once_and_the_stack_lives_in_memory():
    """The thoughts are expression lines, one literal (value) line per gate (the output's last)
    and one descent line per gate but the output; each ``vY for`` search finds exactly its one
    parent, the output's finds nothing."""
    rng = np.random.default_rng(1)
    for n in [*range(1, 20), 60]:
        problem = TASK.sample(rng, n)
        trajectory = TASK.oracle(problem)
        thought = vocab.text_of(trajectory.tokens[trajectory.roles == toolenv.Role.THOUGHT].tolist())
        lines = thought.split("\n")[:-1]
        resolved = [line.split("=")[0] for line in lines if re.fullmatch(r"v\d+=(True|False)", line)]
        descents = [line.split(" for ")[0] for line in lines if re.fullmatch(r"v\d+ for v\d+", line)]
        substituted = [line for line in lines if re.fullmatch(r"v\d+=.* .*", line)]
        assert len(resolved) + len(descents) + len(substituted) == len(lines)
        gates = re.findall(r"^(v\d+)=(?!True|False)", problem.prompt, re.MULTILINE)
        assert sorted(resolved) == sorted(gates) and resolved[-1] == problem.meta["output"]
        assert sorted(descents) == sorted(set(gates) - {problem.meta["output"]})
        parents = re.findall(r"\[find\]v\d+ for\[/find\](.*?)\[end\]", trajectory.text(), re.DOTALL)
        assert [found.count("\n") for found in parents] == [1] * (n - 1) + [0]


def test_operand_values_are_substituted_into_expression_lines():
    """A gate's lines in memory are its definition with its operands replaced one at a time,
    in order, by their values (``not`` kept), then its value line unless the last substitution
    made a literal already (a copy): the values agree with the test's own evaluator. A value
    line comes right after its gate's fully substituted line, or is the substitution itself."""
    for problem, trajectory in varied_oracles():
        values, trace = node_values(problem.prompt), steps(problem, trajectory)
        thoughts = [line for kind, line, _ in trace if kind == "think"]
        for gate, definition in definitions(problem.prompt).items():
            if definition in ("True", "False"):
                continue
            expected, expression = [], definition
            for operand in re.findall(r"v\d+", definition):
                expression = re.sub(rf"\b{operand}\b", str(values[operand]), expression)
                expected.append(f"{gate}={expression}")
            if expression not in ("True", "False"):
                expected.append(f"{gate}={values[gate]}")
            assert [line for line in thoughts if line.startswith(f"{gate}=")] == expected, gate
        for (kind, before, _), (_, line, _) in itertools.pairwise(trace):
            if re.fullmatch(r"v\d+=(True|False)", line):
                gate = line.split("=")[0]
                if kind == "think":  # the fully substituted line, a value line from it
                    literal = r"(not )?(True|False)"
                    assert re.fullmatch(rf"{gate}=({literal} (and|or) {literal}|not (True|False))", before)
                else:  # the search that substituted a copy's one operand
                    assert re.fullmatch(r"v\d+", definitions(problem.prompt)[gate])


def test_a_node_is_resolved_exactly_when_its_last_line_found_is_a_literal():
    """At every ``[find]vA=[/find]``: the lines found are vA's definition and the lines written
    for vA so far, nothing else (no other gate's expression line, no ``v1A=``); the last one is
    a literal exactly when vA is resolved (an input, or its literal line written, after which
    no line of vA is written), and then it is vA's value. Over varied_oracles()."""
    programs = "".join(problem.prompt for problem, _ in varied_oracles())
    for copy in (r"^v\d+=v\d+$", r"^v\d+=not v\d+$"):  # copies and negated copies occur
        assert re.search(copy, programs, re.MULTILINE)
    for problem, trajectory in varied_oracles():
        values = node_values(problem.prompt)
        written = {label: [f"{label}={line}"] for label, line in definitions(problem.prompt).items()}
        resolved = {label for label, line in definitions(problem.prompt).items() if line in ("True", "False")}
        for kind, text, found in steps(problem, trajectory):
            if kind == "think" and "=" in text:
                label = text.split("=")[0]
                assert label not in resolved
                written[label].append(text)
                if text.endswith(("=True", "=False")):
                    resolved.add(label)
            elif kind == "find" and text.endswith("="):
                label = text.removesuffix("=")
                assert found == written[label]
                assert found[-1].endswith(("=True", "=False")) == (label in resolved)
                if label in resolved:
                    assert found[-1] == f"{label}={values[label]}"
        assert resolved == set(written)


def test_an_operand_is_searched_until_substituted_never_after():
    """Each operand search is answered by a descent line, or by finding its gate's lines again
    and writing the gate's substituted line. Per gate and operand: one search that substitutes
    it, after one that descended into it if it was unresolved at first, never one after. Every
    other ``vP=`` search finds the parent that the ``vX for`` search just before it named (or
    is the first step)."""
    for problem, trajectory in varied_oracles():
        trace = steps(problem, trajectory)
        searches: dict[tuple[str, str], list[str]] = {}
        refinds = set()
        for k, (kind, query, _) in enumerate(trace):
            if kind != "find" or not query.endswith("=") or k in refinds:
                continue
            operand = query.removesuffix("=")
            next_kind, line, _ = trace[k + 1]
            if k == 0 or trace[k - 1][1].endswith(" for"):  # back up to the parent (or start)
                assert k == 0 or trace[k - 1][2] == [f"{trace[k - 1][1]} {operand}"]
            elif m := re.fullmatch(rf"{operand} for (v\d+)", line):
                searches.setdefault((m.group(1), operand), []).append("descent")
            else:  # the gate's lines found again, then its substituted line
                assert next_kind == "find" and trace[k + 2][0] == "think"
                refinds.add(k + 1)
                searches.setdefault((line.removesuffix("="), operand), []).append("substitution")
        gate_operands = {
            (gate, operand)
            for gate, definition in definitions(problem.prompt).items()
            for operand in re.findall(r"v\d+", definition)
        }
        assert set(searches) == gate_operands
        assert all(kinds in (["substitution"], ["descent", "substitution"]) for kinds in searches.values())


def test_every_substituted_line_copies_the_line_just_above_it():
    """Writing a substituted line never copies from beyond the line above (the RNNs trained on
    the first substituting oracle failed at copying the gate's other operand label from before
    a search): it is the last line of the gate's lines just found again, with the operand
    searched before that replaced by the value found for it."""
    count = 0
    for problem, trajectory in varied_oracles():
        trace = steps(problem, trajectory)
        for (k1, q1, found1), (k2, q2, found2), (k3, line, _) in zip(trace, trace[1:], trace[2:]):
            if (k1, k2, k3) != ("find", "find", "think") or q1.endswith(" for") or q2.endswith(" for"):
                continue
            if not re.fullmatch(r"v\d+=(True|False)", found1[-1]) or q1 == q2:
                continue  # not an operand's value followed by its gate's lines
            operand, value = found1[-1].split("=")
            gate, expression = found2[-1].split("=")
            words = expression.split(" ")
            assert words.count(operand) == 1 and q2 == f"{gate}="
            assert line == f"{gate}=" + " ".join(value if word == operand else word for word in words)
            count += 1
    assert count > 1000


def test_trajectory_grows_linearly():
    sizes = {n: len(oracle_at(n)[1]) for n in (10, 100, 1000)}
    assert all(size <= 420 * n + 200 for n, size in sizes.items()), sizes
    assert sizes[1000] / sizes[100] < 10.3  # same label width at every length
    finds = {n: int((oracle_at(n)[1].tokens == vocab.FIND).sum()) / n for n in (100, 500, 1000)}
    assert all(6.3 < f < 6.7 for f in finds.values()), finds  # 4.75 without finding the gate again


def test_every_decision_depends_on_a_bounded_window_only():
    """Equal last-``window(d)`` contexts, equal next action, over graphs of 1..12 gates (and 40,
    100) relabeled v0, v1, ...: small graphs share labels, so a stack or a count held in the
    model's state would clash. One-digit labels up to 7 gates, three digits at 100."""
    rng = np.random.default_rng(0)
    problems = [TASK.sample(rng, n) for n in [*range(1, 13)] * 15 + [40, 100]]
    trajectories = [TASK.oracle(TASK.make_problem(small_labels(p.prompt, rng))) for p in problems]
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
        assert p.prompt.count("=True\n") + p.prompt.count("=False\n") == 3


def test_labels_have_one_width_at_every_length():
    """Longer graphs must not bring wider labels (session 6 measured a GRU failing at 1,000 gates
    on the 4th digit alone): every generated label is v1000..v9999, up to the largest graph."""
    rng = np.random.default_rng(1)
    for n in (1, 10, 1000, TASK.max_length):
        labels = re.findall(r"^(v\d+)=", TASK.sample(rng, n).prompt, re.MULTILINE)
        assert len(set(labels)) == n + 3
        assert all(re.fullmatch(r"v[1-9]\d{3}", label) for label in labels), n
    with pytest.raises(ValueError, match="length"):
        TASK.sample(rng, TASK.max_length + 1)


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


def test_relabel_keeps_the_circuit_its_answer_and_the_oracles_moves():
    task = LogicalGraph()
    problem = task.problem("test", 20, 0, 0)
    labels = sorted(set(re.findall(r"v[0-9]+", problem.prompt)))
    rng = np.random.default_rng(0)
    mapping = dict(zip(labels, (f"v{k}" for k in rng.choice(np.arange(1000, 10000), len(labels), replace=False)),
                       strict=True))
    renamed = task.make_problem(relabel(problem.prompt, mapping))
    assert renamed.answer == problem.answer and renamed.prompt != problem.prompt
    rename = functools.partial(re.sub, r"v[0-9]+", lambda m: mapping[m.group(0)])
    assert vocab.decode(task.oracle(renamed).tokens) == rename(vocab.decode(task.oracle(problem).tokens))
    with pytest.raises(ValueError, match="no new label for"):
        relabel(problem.prompt, dict(list(mapping.items())[1:]))
    with pytest.raises(ValueError, match="same one"):
        relabel(problem.prompt, dict.fromkeys(labels, "v1000"))
    with pytest.raises(ValueError, match="not a label"):
        relabel(problem.prompt, {**mapping, labels[0]: "x1"})


def test_the_two_kinds_of_labels_split_every_label_the_generator_draws():
    distinct, repeating = labels_repeating_a_digit(False), labels_repeating_a_digit(True)
    assert len(distinct) == 9 * 9 * 8 * 7 and sorted(distinct + repeating, key=lambda x: int(x[1:])) == [
        f"v{k}" for k in range(1000, 10000)]
    assert "v1234" in distinct and {"v1231", "v1000", "v8181"} <= set(repeating)
