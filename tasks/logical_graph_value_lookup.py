"""Logical graph, oracle variant: each value in a line of its own, ``vX is True``, looked up alone.

Same problems as ``logical_graph`` (same generator, checker, test set and splits: ``problems_of``),
another trajectory. Our GRUs on ``logical_graph``'s oracle miscopy labels that they carry across a
search result of ~100 tokens (the parent's label in a descent line ``vA for vX``: 13 of 16 first
divergences of 2 x 1024 GRUs at 20 gates, leaderboards/README.md). Here a node's value lives in
one line, ``vA is True``, found with ``[find]vA is``: the answer is that one line or nothing (vA
unresolved), so a label is carried across at most one short line, and every descent line copies
both its labels from the line just above.

The loop, with the current gate vX's current expression in view (the last line in context):

- a label left: ``[find]vA is`` for its first one. Found (``vA is V``): ``[find]vX=`` (vX's lines:
  its definition, then its substituted lines; the last is its current expression) and write that
  line with vA replaced by V. Nothing found: write ``vA for vX`` (both labels from the expression
  line just above), ``[find]vA=`` (vA's definition, its only line: it was never on the stack), and
  go on with vA. An input is descended into like a gate: its definition is a literal already.
- no label left (a literal, or an expression of literals): write the value line ``vX is V``
  computed from the line just above, then ``[find]vX for``: the one parent waiting for vX
  (``[find]vP=``, and on from its last line, whose first label is vX), or nothing: vX is the
  output, ``[ANS]`` and V.

The first step finds the output's definition, named by the ``print`` line just above. Costs and
the window each decision needs are measured in docs/tasks/logical_graph.md.
"""

from __future__ import annotations

from tasks.logical_graph import (
    _VALUES,
    LogicalGraph,
    back_to_parent,
    literal_value,
    operands,
    substitute,
    validate_program,
)
from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.trajectory import Trajectory


class LogicalGraphValueLookup(LogicalGraph):
    name = "logical_graph_value_lookup"
    description = "logical_graph's problems; each value a line `vX is V` of its own, looked up alone"
    problems_of = "logical_graph"

    def oracle(self, problem: Problem) -> Trajectory:
        _, output = validate_program(problem.prompt)
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        node, expression = b.find(f"{output}=")[-1].split("=")
        while True:  # expression: node's current expression, the last line in context
            if pending := [label for _, label in operands(expression) if label not in _VALUES]:
                child = pending[0]
                if found := b.find(f"{child} is"):
                    value = found[0].split(" is ")[1]
                    found_again = b.find(f"{node}=")  # the line to copy, just above the one written
                    assert found_again[-1] == f"{node}={expression}"
                    expression = substitute(expression, child, value)
                    b.think(f"{node}={expression}\n")
                else:
                    b.think(f"{child} for {node}\n")
                    (definition,) = b.find(f"{child}=")
                    node, expression = definition.split("=")
                continue
            value = expression if expression in _VALUES else str(literal_value(expression))
            b.think(f"{node} is {value}\n")
            if (parent := back_to_parent(b, node, value)) is None:
                return b.finish()
            node, expression = parent
