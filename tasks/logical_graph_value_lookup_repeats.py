"""Logical graph, value-lookup oracle, trained on more labels that repeat a digit.

The same test circuits as ``logical_graph`` (``problems_of``; ``sample`` is unchanged) and the oracle of
``logical_graph_value_lookup``; only the training stream differs: half of its problems have every label
renamed (``relabel``) to one that repeats a digit (``v8181``), so about three labels in four repeat one,
where the generator draws half. Session 18: every first divergence of the value-lookup GRUs was a label
with a repeated digit; renamed to 4 distinct digits the same test circuits of 1,000 gates were answered
15 and 12 of 16, as drawn 1 and 7 (leaderboards/README.md, logical graph). This asks whether training on
more of them teaches the copy.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tasks.logical_graph import labels_repeating_a_digit, redraw_labels
from tasks.logical_graph_value_lookup import LogicalGraphValueLookup
from toolenv.problem import Problem

RENAMED_FRACTION = 0.5
"""Share of training problems whose every label is redrawn among those that repeat a digit."""

_REPEATING = labels_repeating_a_digit(True)


class LogicalGraphValueLookupRepeats(LogicalGraphValueLookup):
    name = "logical_graph_value_lookup_repeats"
    description = "logical_graph_value_lookup, half of its training problems relabelled to labels that repeat a digit"
    relabelled: ClassVar[tuple[tuple[float, list[str]], ...]] = ((RENAMED_FRACTION, _REPEATING),)
    """(share of training problems, the labels they are redrawn among), in turn; the rest keep theirs."""

    def sample_train(self, rng: np.random.Generator, max_length: int) -> Problem:
        problem = super().sample_train(rng, max_length)
        u = rng.random()
        for share, labels in self.relabelled:
            if u < share:
                return self.make_problem(redraw_labels(problem.prompt, labels, rng))
            u -= share
        return problem
