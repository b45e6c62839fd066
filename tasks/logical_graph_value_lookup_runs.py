"""Logical graph, value-lookup oracle, trained on labels with runs of equal digits too.

The same test circuits as ``logical_graph`` and the oracle of ``logical_graph_value_lookup``; only the
training stream differs from ``logical_graph_value_lookup_repeats``'s. Session 23: the float32 LSTM trained
on the repeats stream copies labels of 4 distinct digits without error (0 in 84k copies at 100 gates), but
fails 7.7e-4 of its copies of labels with three or four equal digits in a row (``v4445`` written ``v4454``,
``v6777`` -> ``v6776``), 32x its rate on labels as drawn; those labels are 1.9% of the labels drawn and ~2.9%
of the repeats stream's. Here a quarter of the training problems have every label renamed (``relabel``) to
one of those 171 labels, a quarter to one of the 4,464 that repeat a digit, and half are as drawn: about a
quarter of the training labels have a run (the repeats stream's share of labels that repeat a digit,
three in four, is kept). This asks whether the count of a run is a matter of training data.
"""

from __future__ import annotations

from tasks.logical_graph import labels_repeating_a_digit, labels_with_a_run
from tasks.logical_graph_value_lookup_repeats import LogicalGraphValueLookupRepeats

RUNS_FRACTION = 0.25
"""Share of training problems whose every label is redrawn among those with 3 or more equal digits in a row."""
REPEATS_FRACTION = 0.25
"""Share of training problems whose every label is redrawn among those that repeat a digit."""


class LogicalGraphValueLookupRuns(LogicalGraphValueLookupRepeats):
    name = "logical_graph_value_lookup_runs"
    description = ("logical_graph_value_lookup, a quarter of its training problems relabelled to labels with 3 equal "
                   "digits in a row, a quarter to labels that repeat a digit")
    relabelled = ((RUNS_FRACTION, labels_with_a_run(3)), (REPEATS_FRACTION, labels_repeating_a_digit(True)))
