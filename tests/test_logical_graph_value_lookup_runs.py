"""logical_graph_value_lookup_runs: the value-lookup oracle, a quarter of the training problems relabelled to
labels with three equal digits in a row, a quarter to labels that repeat a digit. The same test circuits as
logical_graph, the same oracle as logical_graph_value_lookup, training problems that keep their circuits and
splits."""

import re
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import toolenv
from tasks.logical_graph import LogicalGraph
from tasks.logical_graph_value_lookup import LogicalGraphValueLookup
from tasks.logical_graph_value_lookup_runs import LogicalGraphValueLookupRuns
from toolenv.checks import check_task, replay

for cls in (LogicalGraph, LogicalGraphValueLookup, LogicalGraphValueLookupRuns):
    toolenv.register_task(cls)  # the entry points may not be installed yet
TASK = toolenv.get_task("logical_graph_value_lookup_runs")
BASE, LOOKUP = toolenv.get_task("logical_graph"), toolenv.get_task("logical_graph_value_lookup")


def has_run(label: str) -> bool:
    return re.search(r"(\d)\1\1", label) is not None


def repeats(label: str) -> bool:
    return len(set(label[1:])) < len(label) - 1


def test_task_contract_and_check_env():
    env = gym.make("toolenv/LogicalGraphValueLookupRuns-v0", length=4)
    check_env(env.unwrapped, skip_render_check=True)
    check_task(TASK, lengths=(1, 2, 6))


def test_test_circuits_and_oracle_are_the_value_lookups():
    for length in (10, 1000):
        mine, base = TASK.problem("test", length, 0), BASE.problem("test", length, 0)
        assert (mine.prompt, mine.answer) == (base.prompt, base.answer) and TASK.split_of(mine) == "test"
    problem = TASK.problem("test", 20, 1)
    assert (TASK.oracle(problem).tokens == LOOKUP.oracle(LOOKUP.problem("test", 20, 1)).tokens).all()


def test_a_quarter_of_training_problems_take_labels_with_runs_and_three_labels_in_four_repeat_a_digit():
    problems = [TASK.problem("train", 10, i) for i in range(400)]
    labels = [re.findall(r"v[0-9]+", p.prompt) for p in problems]
    runs = sum(all(has_run(x) for x in ls) for ls in labels)
    assert 70 <= runs <= 130  # RUNS_FRACTION of 400; by chance (1.9% a label, 4-13 labels) never
    share = sum(has_run(x) for ls in labels for x in ls) / sum(map(len, labels))
    assert 0.20 <= share <= 0.34  # ~0.27, where the generator draws 0.019 and the repeats stream ~0.029
    share = sum(repeats(x) for ls in labels for x in ls) / sum(map(len, labels))
    assert 0.68 <= share <= 0.82  # as the repeats stream: ~0.75
    assert all(TASK.split_of(p) == BASE.split_of(p) == "train" for p in problems)
    for p in problems[:20]:
        reward, info, _ = replay(TASK, p)
        assert reward == 1.0 and BASE.check(p, info["output"])


def test_training_streams_are_reproducible():
    a = [TASK.sample_train(np.random.default_rng(5), 10).prompt for _ in range(2)]
    assert a[0] == a[1]


def test_docs_name_the_variant():
    root = Path(__file__).resolve().parent.parent
    assert "logical_graph_value_lookup_runs" in (root / "README.md").read_text()
    assert "logical_graph_value_lookup_runs" in (root / "docs" / "tasks" / "logical_graph.md").read_text()
