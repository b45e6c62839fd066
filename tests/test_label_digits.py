"""scripts/label_digits.py: the logical graph's test circuits under labels of one kind."""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from toolenv.oracle_policy import OraclePolicy
from toolenv.registry import get_task

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "label_digits.py"
spec = importlib.util.spec_from_file_location("label_digits", SCRIPT)
label_digits = importlib.util.module_from_spec(spec)
sys.modules["label_digits"] = label_digits
spec.loader.exec_module(label_digits)


def test_renamed_circuits_keep_their_answers_and_take_labels_of_one_kind():
    task, rng = get_task("logical_graph_value_lookup"), np.random.default_rng(0)
    problem = task.problem("test", 20, 3, 0)
    assert label_digits.renamed(task, problem, "as drawn", rng) is problem
    for kind, distinct in (("4 distinct digits", True), ("a repeated digit", False)):
        other = label_digits.renamed(task, problem, kind, rng)
        assert other.answer == problem.answer and other.length == problem.length
        labels = set(re.findall(r"v[0-9]+", other.prompt))
        assert len(labels) == len(set(re.findall(r"v[0-9]+", problem.prompt)))
        assert all((len(set(x[1:])) == 4) == distinct for x in labels)


def test_runs_of_equal_digits_are_their_own_label_set_and_a_circuit_too_large_for_it_is_refused():
    runs = label_digits.pool("a run of 3 equal digits")
    assert len(runs) == 171 and {"v1000", "v4445", "v5444", "v7777"} <= set(runs) and "v4454" not in runs
    task, rng = get_task("logical_graph_value_lookup"), np.random.default_rng(0)
    problem = task.problem("test", 100, 0, 0)
    other = label_digits.renamed(task, problem, "a run of 3 equal digits", rng)
    assert other.answer == problem.answer and set(re.findall(r"v[0-9]+", other.prompt)) <= set(runs)
    with pytest.raises(ValueError, match="more than the 171"):
        label_digits.renamed(task, task.problem("test", 200, 0, 0), "a run of 3 equal digits", rng)


def test_the_oracle_copies_every_label_right():
    task = get_task("logical_graph_value_lookup")
    problems = [task.problem("test", 10, i, 0) for i in range(3)]
    s = label_digits.score(OraclePolicy(), task, problems)
    assert (s["correct"], s["label_divergences"], s["rate_per_copy"]) == (3, 0, 0.0) and s["label_copies"] > 100


def test_labels_repeating_one_digit_are_a_set_for_each_digit():
    eights = label_digits.pool("a repeated 8")
    assert len(eights) == 495 and {"v8828", "v1808", "v8888"} <= set(eights) and "v8123" not in eights
    assert all(x.count("8") >= 2 for x in eights)
    assert label_digits.known("a repeated 0") and not label_digits.known("a repeated 10")
    task, rng = get_task("logical_graph_value_lookup_runs"), np.random.default_rng(0)
    problem = task.problem("test", 100, 0, 0)
    other = label_digits.renamed(task, problem, "a repeated 8", rng)
    assert other.answer == problem.answer and set(re.findall(r"v[0-9]+", other.prompt)) <= set(eights)
