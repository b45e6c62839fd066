"""The logical graph's relabelled training streams: logical_graph_value_lookup_repeats (half of the training
problems relabelled to labels that repeat a digit) and logical_graph_value_lookup_runs (a quarter to labels
with three equal digits in a row, a quarter to labels that repeat a digit). Both keep logical_graph's test
circuits, logical_graph_value_lookup's oracle, and their training problems' circuits and splits."""

import re
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import toolenv
from tasks.logical_graph import LogicalGraph
from tasks.logical_graph_value_lookup import LogicalGraphValueLookup
from tasks.logical_graph_value_lookup_repeats import LogicalGraphValueLookupRepeats
from tasks.logical_graph_value_lookup_runs import LogicalGraphValueLookupRuns
from toolenv.checks import check_task, replay

for cls in (LogicalGraph, LogicalGraphValueLookup, LogicalGraphValueLookupRepeats, LogicalGraphValueLookupRuns):
    toolenv.register_task(cls)  # the entry points may not be installed yet
BASE, LOOKUP = toolenv.get_task("logical_graph"), toolenv.get_task("logical_graph_value_lookup")
STREAMS = ["logical_graph_value_lookup_repeats", "logical_graph_value_lookup_runs"]


def repeats(label: str) -> bool:
    return len(set(label[1:])) < len(label) - 1


def has_run(label: str) -> bool:
    return re.search(r"(\d)\1\1", label) is not None


def training_labels(name: str, count: int) -> list[list[str]]:
    task = toolenv.get_task(name)
    problems = [task.problem("train", 10, i) for i in range(count)]
    assert all(task.split_of(p) == BASE.split_of(p) == "train" for p in problems)
    for p in problems[:20]:
        reward, info, _ = replay(task, p)
        assert reward == 1.0 and BASE.check(p, info["output"])
    return [re.findall(r"v[0-9]+", p.prompt) for p in problems]


def share(labels: list[list[str]], kind) -> float:
    return sum(kind(x) for ls in labels for x in ls) / sum(map(len, labels))


@pytest.mark.parametrize("name", STREAMS)
def test_task_contract_and_check_env(name):
    env = gym.make(toolenv.registry.gym_id(name), length=4)
    check_env(env.unwrapped, skip_render_check=True)
    check_task(toolenv.get_task(name), lengths=(1, 2, 6))


@pytest.mark.parametrize("name", STREAMS)
def test_test_circuits_and_oracle_are_the_value_lookups(name):
    task = toolenv.get_task(name)
    for length in (10, 1000):
        mine, base = task.problem("test", length, 0), BASE.problem("test", length, 0)
        assert (mine.prompt, mine.answer) == (base.prompt, base.answer) and task.split_of(mine) == "test"
    problem = task.problem("test", 20, 1)
    assert (task.oracle(problem).tokens == LOOKUP.oracle(LOOKUP.problem("test", 20, 1)).tokens).all()


@pytest.mark.parametrize("name", STREAMS)
def test_training_streams_are_reproducible(name):
    task = toolenv.get_task(name)
    a = [task.sample_train(np.random.default_rng(5), 10).prompt for _ in range(2)]
    assert a[0] == a[1]


@pytest.mark.parametrize("name", STREAMS)
def test_docs_name_the_variant(name):
    root = Path(__file__).resolve().parent.parent
    assert name in (root / "README.md").read_text() and name in (root / "docs/tasks/logical_graph.md").read_text()


def test_repeats_relabels_half_its_training_problems_so_three_labels_in_four_repeat_a_digit():
    labels = training_labels("logical_graph_value_lookup_repeats", 300)
    assert 120 <= sum(all(repeats(x) for x in ls) for ls in labels) <= 180  # half of 300 (~1% by chance)
    assert 0.68 <= share(labels, repeats) <= 0.82  # where the generator draws ~0.5 (0.496 of v1000-v9999)


def test_runs_relabels_a_quarter_of_its_training_problems_to_runs_and_keeps_three_repeats_in_four():
    labels = training_labels("logical_graph_value_lookup_runs", 400)
    assert 70 <= sum(all(has_run(x) for x in ls) for ls in labels) <= 130  # a quarter of 400; by chance never
    assert 0.20 <= share(labels, has_run) <= 0.34  # ~0.27, where the generator draws 0.019, the repeats stream ~0.029
    assert 0.68 <= share(labels, repeats) <= 0.82  # as the repeats stream: ~0.75
