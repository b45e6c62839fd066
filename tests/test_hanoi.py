"""Tower of Hanoi, iterative (one pointer) and recursive (two pointers): check_env in every
regime, oracle replay through ToolEnv at 1-12 and 1-10 disks, a simulator checker that rejects
illegal, incomplete and corrupted move lists, bounded decisions, the documented trajectory
sizes, seeding, disjoint splits, bad input, and the batched rollout engine giving ToolEnv's
episodes."""

import functools
import re
from itertools import pairwise
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from engine_check import assert_engine_equals_toolenv
from gymnasium.utils.env_checker import check_env

import toolenv
from tasks.hanoi import Hanoi, HanoiRecursive
from toolenv import vocab
from toolenv.checks import check_task, decision_clash, replay
from toolenv.trajectory import Role

for _cls in (Hanoi, HanoiRecursive):  # the entry points may not be installed yet
    toolenv.register_task(_cls)
ITERATIVE = toolenv.get_task("hanoi")
RECURSIVE = toolenv.get_task("hanoi_recursive")
TASKS = [ITERATIVE, RECURSIVE]
IDS = [t.name for t in TASKS]
REPLAY_TOP = {"hanoi": 12, "hanoi_recursive": 10}
"""Oracle replay is tested through ToolEnv at 1..REPLAY_TOP disks (the paper tests up to 12)."""
WINDOW = {"hanoi": 18, "hanoi_recursive": 13}
"""Every oracle decision is a function of the last WINDOW context tokens (measured: one less
clashes; the longest reach is a three-digit disk read while walking over the prompt)."""
DOC = Path(__file__).resolve().parent.parent / "docs" / "tasks" / "hanoi.md"
_MOVE = re.compile(r"\((\d+)\)([ABC])([ABC])")


@functools.cache
def oracle_at(name, n):
    """Test problem 0 at n disks and its oracle trajectory (built once per session)."""
    task = toolenv.get_task(name)
    problem = task.problem("test", n, 0)
    return problem, task.oracle(problem)


def simulate(disks, moves):
    """The test's own Hanoi simulator: True iff ``moves`` (disk, from, to) are legal and leave
    every disk on C. Kept apart from the task's checker on purpose."""
    pegs = {"A": sorted(disks, reverse=True), "B": [], "C": []}
    for d, x, y in moves:
        if not pegs[x] or pegs[x][-1] != d or (pegs[y] and pegs[y][-1] < d) or x == y:
            return False
        pegs[y].append(pegs[x].pop())
    return not pegs["A"] and not pegs["B"]


def moves_of(text):
    return [(int(d), x, y) for d, x, y in _MOVE.findall(text)]


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_task_contract_and_check_env_in_every_regime(task):
    for regime in toolenv.REGIMES:
        check_env(
            gym.make(toolenv.gym_id(task.name), regime=regime, length=3).unwrapped, skip_render_check=True
        )
    check_task(task, lengths=(1, 2, 3))


@pytest.mark.parametrize(
    "name,n", [(t.name, n) for t in TASKS for n in range(1, REPLAY_TOP[t.name] + 1)], ids=lambda x: str(x)
)
def test_oracle_replay_solves_the_puzzle(name, n):
    """Reward 1 at every length up to the paper's largest test length; the env's context is the
    oracle trajectory; the output's moves solve the puzzle by the test's own simulator."""
    task = toolenv.get_task(name)
    problem, trajectory = oracle_at(name, n)
    disks = problem.meta["disks"]
    assert len(disks) == len(set(disks)) == problem.length == n and all(1 <= d <= 100 for d in disks)
    reward, info, rebuilt = replay(task, problem, trajectory=trajectory)
    assert reward == 1.0 and info["output"] == problem.answer == trajectory.output()
    assert rebuilt == trajectory
    moves = moves_of(info["output"])
    assert len(moves) == 2**n - 1 and simulate(disks, moves)


def test_env_derives_the_step_limit_from_the_oracle():
    for task in TASKS:
        env = gym.make(toolenv.gym_id(task.name), length=3)
        _, info = env.reset(seed=1)
        agent = sum(1 for _ in task.oracle(info["problem"]).actions())
        assert info["step_limit"] == task.step_limit(agent) == 2 * agent + 64


def test_iterative_output_is_moves_and_states():
    """Each move is followed by ``$`` and the whole new state; the first move follows the
    paper's parity rule (smallest disk to B if n is even, to C if odd)."""
    problem = ITERATIVE.make_problem([7, 5])
    assert problem.prompt == "hanoi:(7)(5)="
    assert ITERATIVE.oracle(problem).output() == problem.answer == "(5)AB$>5B7a(7)AC$>5b7C(5)BC$>5C7C"
    for n in range(1, 9):
        problem, trajectory = oracle_at("hanoi", n)
        steps = trajectory.output().split("(")[1:]
        assert len(steps) == 2**n - 1
        smallest = min(problem.meta["disks"])
        assert steps[0] == f"{smallest})A{'B' if n % 2 == 0 else 'C'}$" + steps[0].split("$")[1]
        states = [s.split("$")[1] for s in steps]
        assert all(len(re.findall("[ABCabc]", s)) == n for s in states), "every state lists every disk"


def test_recursive_thoughts_are_the_solutions_for_fewer_disks():
    """Paper App. D.4: the lists for 1, 2, ..., n-1 smallest disks (thoughts, after their disk
    lists ``R_i |``), then the list for n (output); list i solves the i smallest disks."""
    problem, trajectory = oracle_at("hanoi_recursive", 6)
    disks = sorted(problem.meta["disks"])
    thoughts = vocab.decode(trajectory.tokens[trajectory.roles == Role.THOUGHT].tolist())
    levels = thoughts.rstrip("#").split("#")
    assert len(levels) == 5
    for i, level in enumerate(levels, 1):
        rest, moves = level.split("|")
        assert rest == "".join(f"({d})" for d in sorted(disks[i:], reverse=True))
        assert simulate(disks[:i], moves_of(moves)) and len(moves_of(moves)) == 2**i - 1
    assert simulate(disks, moves_of(trajectory.output()))


# -- the checker -----------------------------------------------------------------------------


def _corrupted_recursive(answer):
    moves = re.findall(r"\(\d+\)[ABC]{2}", answer)
    yield "".join(moves[:-1])  # incomplete: last move missing
    yield "".join(moves[1:])  # first move missing
    yield answer + moves[0]  # one move too many
    d = moves[-1][1:].split(")")[0]  # the last move is the smallest disk's, onto C
    yield answer + f"({d})CB({d})BC"  # a legal detour: solved, but not in 2^n - 1 moves
    yield moves[1] + moves[0] + "".join(moves[2:])  # first two moves swapped: illegal
    yield answer.replace("AC", "AB", 1)  # a disk to the wrong rod
    yield answer.replace(")A", ")B", 1)  # a disk taken from the wrong rod
    yield answer.replace("(", "((", 1)  # malformed
    yield answer + " "
    yield ""


def _corrupted_iterative(answer):
    steps = re.findall(r"\(\d+\)[ABC]{2}\$[<>][^(]*", answer)
    yield "".join(steps[:-1])  # incomplete
    yield "".join(steps[1:])  # first step missing
    yield answer + steps[-1]  # one step too many
    yield steps[1] + steps[0] + "".join(steps[2:])  # illegal order
    yield answer.replace("$", "", 1)  # delimiter missing
    first_state = steps[0].split("$")[1]
    yield answer.replace(first_state, first_state.translate(str.maketrans("<>", "><")), 1)  # wrong header
    yield answer.replace(first_state, first_state.swapcase(), 1)  # every counter bit flipped
    yield answer.replace(first_state, first_state[:-2], 1)  # a disk missing from a state
    yield re.sub(r"\$[^(]*", "", answer)  # moves without states
    yield answer.replace("AC$", "AB$", 1)
    yield ""


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_checker_is_a_simulator_not_the_oracle(task, monkeypatch):
    problems = [task.problem("test", n, i) for n in (2, 3, 5) for i in range(3)]
    problems += [task.make_problem([100, 99, 10, 9, 1])]
    monkeypatch.setattr(type(task), "oracle", lambda *a: pytest.fail("check called the oracle"))
    corrupt = _corrupted_iterative if task is ITERATIVE else _corrupted_recursive
    for p in problems:
        assert task.check(p, p.answer)
        bad = [b for b in corrupt(p.answer) if b != p.answer]
        assert len(bad) >= 8
        for b in bad:
            assert not task.check(p, b), b


def test_checkers_reject_illegal_moves_with_the_right_count():
    """2^n - 1 moves are not enough: each must be legal (recursive) and each state must be
    the simulator's (iterative)."""
    p = RECURSIVE.make_problem([3, 2, 1])
    assert RECURSIVE.check(p, "(1)AC(2)AB(1)CB(3)AC(1)BA(2)BC(1)AC")
    assert not RECURSIVE.check(p, "(1)AC(2)AB(1)CB(3)AC(1)BA(2)BC(1)AB")  # ends with disk 1 on B
    assert not RECURSIVE.check(p, "(2)AC(1)AB(1)CB(3)AC(1)BA(2)BC(1)AC")  # disk 2 under disk 1
    assert not RECURSIVE.check(p, "(1)AC(2)AC(1)CB(3)AC(1)BA(2)BC(1)AC")  # 2 onto 1
    assert not RECURSIVE.check(p, "(1)AC(2)AB(1)CB(3)AC(1)BA(2)BC(4)AC")  # no disk 4
    q = ITERATIVE.make_problem([3, 2, 1])
    good = q.answer
    assert ITERATIVE.check(q, good) and good.startswith("(1)AC$<1C2a3a(2)AB$<1c2B3a")
    assert not ITERATIVE.check(q, good.replace("(1)AC$<1C2a3a", "(1)AC$<1c2a3a", 1))  # counter bit wrong
    assert not ITERATIVE.check(q, good.replace("(1)AC$<1C2a3a", "(1)AB$<1B2a3a", 1))  # legal, not shortest
    assert not ITERATIVE.check(q, good.replace("(1)AC$<1C2a3a", "(1)AC$<1C3a2a", 1))  # disks out of order


def test_check_rejects_a_malformed_prompt():
    for task in TASKS:
        bad = toolenv.Problem(task.name, 2, "(7)(5)=", "", {"disks": [7, 5]})
        with pytest.raises(ValueError, match="not a hanoi"):
            task.check(bad, "")
        with pytest.raises(ValueError, match="not a hanoi"):
            task.oracle(bad)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_changing_any_single_output_token_gives_reward_zero(task):
    problem = task.make_problem([42, 17, 5])
    actions = list(task.oracle(problem).actions())
    start = actions.index(vocab.ANS) + 1
    swap = {
        "A": "B",
        "B": "C",
        "C": "A",
        "a": "A",
        "b": "B",
        "c": "C",
        "$": "#",
        "<": ">",
        ">": "<",
        "(": ")",
    }
    outputs = [i for i in range(start, len(actions)) if vocab.is_char(actions[i])]
    assert "".join(vocab.token_name(actions[i]) for i in outputs) == problem.answer
    for i in outputs:
        c = vocab.token_name(actions[i])
        wrong = vocab.token_id(str((int(c) + 1) % 10) if c.isdigit() else swap.get(c, "("))
        env = toolenv.ToolEnv(task)
        env.reset(options={"problem": problem})
        for j, action in enumerate(actions):
            *_, reward, terminated, truncated, info = env.step(wrong if j == i else action)
            if terminated or truncated:
                break
        assert reward == 0.0 and info["output"] != problem.answer, f"changing output token {i} kept reward 1"


# -- bounded decisions and sizes -------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_every_decision_depends_on_a_bounded_window_only(task):
    """Equal last-WINDOW contexts, equal next action, over lengths 1..10 (iterative) or 1..11
    (recursive), random disks and 1-, 2-, 3-digit extremes: a count of disks or moves held in
    memory would clash. WINDOW is tight: one token less does clash."""
    rng = np.random.default_rng(0)
    top = REPLAY_TOP[task.name] - 2 if task is ITERATIVE else REPLAY_TOP[task.name] + 1
    trajectories = [oracle_at(task.name, n)[1] for n in range(1, top + 1)]
    trajectories += [task.oracle(task.sample(rng, n)) for n in range(1, 7) for _ in range(3)]
    for disks in ([100], [100, 1], [100, 99, 98], [1, 2, 3], [100, 10, 9, 1], [55, 100, 7, 8, 12]):
        trajectories.append(task.oracle(task.make_problem(disks)))
    assert decision_clash(trajectories, WINDOW[task.name]) is None
    assert decision_clash(trajectories, WINDOW[task.name] - 1) is not None


def _doc_table(name):
    """The rows ``| disks | trajectory tokens | agent tokens | step limit |`` of the doc's table."""
    text = DOC.read_text()
    section = text.split(f"<!-- sizes:{name} -->")[1].split("<!-- /sizes -->")[0]
    rows = re.findall(r"^\| *(\d+) *\|([^|]+)\|([^|]+)\|([^|]+)\|", section, re.MULTILINE)
    return {int(n): tuple(int(x.replace(",", "")) for x in rest) for n, *rest in rows}


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_documented_trajectory_sizes_are_measured(task):
    """docs/tasks/hanoi.md lists, per disk count, the oracle's tokens and the env's step limit
    for test problem 0; they are what the code gives (1..12 disks)."""
    table = _doc_table(task.name)
    assert sorted(table) == list(range(1, 13))
    for n in range(1, 13):
        _, trajectory = oracle_at(task.name, n)
        agent = sum(1 for _ in trajectory.actions())
        assert table[n] == (len(trajectory), agent, task.step_limit(agent)), n
    sizes = [table[n][0] for n in range(1, 13)]
    assert all(1.6 < b / a < 2.6 for a, b in pairwise(sizes[4:])), "about 2^n growth"


# -- seeding, splits, bad input --------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_same_seed_same_problems(task):
    assert task.sample(np.random.default_rng(4), 6) == task.sample(np.random.default_rng(4), 6)
    assert [task.problem("test", 6, i, seed=3) for i in range(5)] == [
        task.problem("test", 6, i, seed=3) for i in range(5)
    ]
    assert task.problem("test", 6, 0, seed=3) != task.problem("test", 6, 0, seed=4)
    p = task.problem("train", 8, 7)
    assert task.parse_prompt(p.prompt) == p.meta["disks"] and 1 <= p.length <= 8
    env = gym.make(toolenv.gym_id(task.name), length=5)
    assert env.reset(seed=11)[1]["problem"] == env.reset(seed=11)[1]["problem"]


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_training_and_test_streams_are_disjoint(task):
    """Disjoint by construction (a prompt's split is a hash of it). Honest about small n: there
    are only 100 one-disk and 4,950 two-disk problems, so the test set at one disk is the ~20
    one-disk problems of the test split, and training never sees them."""
    train = {task.problem("train", 4, i).prompt for i in range(3000)}
    test = {task.problem("test", n, i).prompt for n in (1, 2, 3) for i in range(400)}
    assert not train & test
    one_disk = [task.make_problem([d]) for d in range(1, 101)]
    test_one = {p.prompt for p in one_disk if task.split_of(p) == "test"}
    assert 10 <= len(test_one) <= 30
    assert {task.problem("test", 1, i).prompt for i in range(300)} == test_one
    assert {task.problem("train", 1, i).prompt for i in range(1000)} == {
        p.prompt for p in one_disk
    } - test_one
    lengths = {len(task.parse_prompt(p)) for p in train}
    assert lengths == {1, 2, 3, 4} and len(train) > 2000


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_bad_input_gets_clear_errors(task):
    rng = np.random.default_rng(0)
    for length in (0, -1, task.max_length + 1):
        with pytest.raises(toolenv.LengthError, match="length"):
            task.sample(rng, length)
        with pytest.raises(toolenv.LengthError, match="length"):
            gym.make(toolenv.gym_id(task.name), length=length)
    with pytest.raises(toolenv.LengthError, match="length"):
        task.problem("test", task.max_length + 1, 0)
    for disks in ([], [3, 3], [0, 1], [101], [True, 2], [2.5], ["7"]):
        with pytest.raises(ValueError, match="distinct integers in 1..100"):
            task.make_problem(disks)
    with pytest.raises(toolenv.LengthError):
        task.make_problem(list(range(1, task.max_length + 2)))
    for prompt in (
        task.prefix + "(5)(7)=",
        task.prefix + "(7)(7)=",
        task.prefix + "(07)=",
        task.prefix + "=",
    ):
        with pytest.raises(ValueError, match=task.name):
            task.parse_prompt(prompt)
    assert task.make_problem([2, 9, 5]).meta["disks"] == [9, 5, 2]
    assert task.train_length == (8 if task is ITERATIVE else 7)


# -- the batched rollout engine ----------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_batched_rollouts_equal_toolenv(task):
    """The engine plays the same episodes as ToolEnv: teacher in every regime, and a careless
    teacher (invalid commands, early [EOS], wrong rods, truncation)."""
    problems = [task.problem("test", n, i) for n in (1, 2, 3) for i in range(2)]
    problems += [task.problem("train", 4, i) for i in range(4)]
    mistakes = [vocab.pointer_command(3, "read"), vocab.EOS, vocab.token_id("B"), vocab.pointer_command(1, "left")]
    endings = assert_engine_equals_toolenv(task, problems, mistakes, short_limit=60)
    assert {"invalid", "truncated", "True", "False"} <= endings
