"""scripts/label_digits.py: the logical graph's test circuits under labels of one kind."""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np

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


def test_the_oracle_copies_every_label_right():
    task = get_task("logical_graph_value_lookup")
    problems = [task.problem("test", 10, i, 0) for i in range(3)]
    s = label_digits.score(OraclePolicy(), task, problems)
    assert (s["correct"], s["label_divergences"], s["rate_per_copy"]) == (3, 0, 0.0) and s["label_copies"] > 100
