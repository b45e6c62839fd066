"""Logical graph: evaluate a random Boolean DAG written as Python code, depth first, with [find].

Prompt (paper §3.4): three input lines, then one line per gate in definition order, then a
``print`` of the output (the last gate); every line ends with a newline::

    v630=True
    v872=False
    v105=True
    v311=v630 and not v872
    v457=not v311 or v105
    v220=v457 and v311
    print(v220)

Answer: what the program prints, ``True`` or ``False``. Length = gates (the inputs do not
count). A gate is ``and``/``or`` of two distinct earlier nodes or a copy of one (one input),
each operand negated with probability 1/2. Labels are ``v`` and a distinct random 4-digit number
(1000-9999) at every length, so that longer graphs do not bring wider labels: the width a model
copies is the one it was trained on (at most 9,000 nodes: 8,997 gates). Every gate is an
ancestor of the output, so the depth-first resolution visits all of them: each gate but the
output is an operand of a random later gate (a random-recursive-tree backbone, depth about
ln n), and the other operand slots pick uniformly among all earlier nodes.

Oracle (tool ``search``; about 365 tokens per gate, see docs/tasks/logical_graph.md). Memory
holds the prompt and two kinds of thought lines, found again with ``[find]``:

- ``vX=E``: gate vX's current expression, written each time an operand's value is found and
  substituted for its label (``not`` kept): ``v290=not v920 or v541`` becomes
  ``v290=not True or v541``, then ``v290=not True or False``, then the value line
  ``v290=False``, computed from the line just written. A copy ``vX=v5`` becomes ``vX=True``,
  which is its value line already. The query ``vX=`` returns vX's definition and its
  substituted lines in order: its current expression is the last one, and vX is resolved
  exactly when that is a literal (inputs are literals already).
- ``vY for vX``: "resolving vY for its parent vX", written when descending. Every gate is
  descended into at most once (from then on it is resolved), so the query ``vY for`` returns
  the one parent to go back to, and nothing for the output: the DFS stack lives in memory.

The loop, with the current gate's current expression in view: ``[find]`` its first remaining
label ``vA=``. If vA is resolved, ``[find]vX=[/find]`` again and write its last line with vA's
value substituted, so that every substituted line copies the line just above it. If not,
write ``vA for vX``; vA becomes the current gate (its definition, its only line, was just
found). Once no label remains, write the value line, then ``[find]`` the parent (``vX for``):
if there is one, ``[find]vP=[/find]`` and go on from its last line (whose first label is the
gate just resolved; substituted operands are never searched again); if there is none, the gate
is the output: ``[ANS]`` and its value. The first step finds the output's definition, named by
the ``print`` line just above. No unresolved node looks resolved: a gate's substituted lines
are written only while it is on the stack, and no node on the stack is an operand of a node
above it (a DAG).

Each decision needs only the last few lines: a window of 11d + 100 tokens for labels of at
most d digits (144 for the generator's 4-digit labels). Only the current gate's label is carried across a search
(into a descent line or a query); an operand label is copied from the line just above (the
first query after a descent: from the line before the descent line).
The oracle itself keeps only the current gate and its current expression, and reads
everything else from the tool's answers.
"""

from __future__ import annotations

import io
import re

import numpy as np

from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.task import Task
from toolenv.tools import SearchMemory
from toolenv.trajectory import Trajectory

N_INPUTS = 3
ONE_OPERAND_PROBABILITY = 0.25
NEGATION_PROBABILITY = 0.5

_LABEL = r"v[0-9]+"
_OPERAND = rf"(?:not )?{_LABEL}"
_INPUT = re.compile(rf"({_LABEL})=(True|False)")
_GATE = re.compile(rf"({_LABEL})=({_OPERAND}(?: (?:and|or) {_OPERAND})?)")
_PRINT = re.compile(rf"print\(({_LABEL})\)")
_VALUES = ("True", "False")


LABEL_DIGITS = 4  # every generated label: ``v1000``..``v9999``
MAX_NODES = 9 * 10 ** (LABEL_DIGITS - 1)


def random_labels(rng: np.random.Generator, nodes: int) -> list[str]:
    """``nodes`` distinct labels ``v`` + a random number of exactly LABEL_DIGITS digits."""
    if nodes > MAX_NODES:
        raise ValueError(f"{nodes} nodes: at most {MAX_NODES} distinct {LABEL_DIGITS}-digit labels")
    low = 10 ** (LABEL_DIGITS - 1)
    return [f"v{low + k}" for k in rng.choice(MAX_NODES, size=nodes, replace=False)]


def labels_repeating_a_digit(repeating: bool) -> list[str]:
    """Every label the generator can draw (``v1000``..``v9999``) in which some digit occurs twice
    (``repeating``: 4,464 labels, ``v1000``, ``v8181``) or in which all digits differ (4,536)."""
    low = 10 ** (LABEL_DIGITS - 1)
    return [f"v{k}" for k in range(low, 10 * low) if (len(set(str(k))) < LABEL_DIGITS) == repeating]


def labels_with_a_run(run: int = 3) -> list[str]:
    """Every label the generator can draw with ``run`` or more equal digits in a row (``run`` 3: 171 labels,
    ``v1000``, ``v4445``, ``v7777``), 1.9% of those it draws: the copies the float32 LSTM got wrong (session 23)."""
    return [x for x in labels_repeating_a_digit(True) if re.search(r"(\d)" + r"\1" * (run - 1), x)]


def relabel(program: str, labels: dict[str, str]) -> str:
    """``program`` with every label renamed by ``labels``: the same circuit, so the same answer (e.g.
    to ask whether a model's copies depend on the labels' digits). Every label of the program must be
    a key, the new labels distinct ``v`` + digits; raises ValueError naming what is wrong."""
    used = sorted(set(re.findall(_LABEL, program)))
    if missing := [x for x in used if x not in labels]:
        raise ValueError(f"relabel: no new label for {', '.join(missing[:5])}")
    new = [labels[x] for x in used]
    if bad := [x for x in new if not re.fullmatch(_LABEL, x)]:
        raise ValueError(f"relabel: {bad[0]!r} is not a label (v and digits)")
    if len(set(new)) != len(new):
        raise ValueError("relabel: two labels renamed to the same one")
    out = re.sub(_LABEL, lambda m: labels[m.group(0)], program)
    validate_program(out)
    return out


def redraw_labels(program: str, pool: list[str], rng: np.random.Generator) -> str:
    """``program`` (``relabel``) with its labels, in sorted order, drawn again from ``pool``: distinct, by ``rng``."""
    old = sorted(set(re.findall(_LABEL, program)))
    new = [pool[i] for i in rng.choice(len(pool), size=len(old), replace=False)]
    return relabel(program, dict(zip(old, new, strict=True)))


def operands(expression: str) -> list[tuple[bool, str]]:
    """``'not v1 or v2'`` -> ``[(True, 'v1'), (False, 'v2')]`` (negated?, label)."""
    words = expression.split(" ")
    out, i = [], 0
    while i < len(words):
        negated = words[i] == "not"
        i += negated
        out.append((negated, words[i]))
        i += 2  # the label, then ``and``/``or``
    return out


def gate_value(expression: str, values: list[bool]) -> bool:
    """Value of a gate expression given its operands' values, in order (the oracle's logic)."""
    literals = [value != negated for (negated, _), value in zip(operands(expression), values, strict=True)]
    if len(literals) == 1:
        return literals[0]
    return literals[0] and literals[1] if " and " in expression else literals[0] or literals[1]


def substitute(expression: str, label: str, value: str) -> str:
    """``expression`` with operand ``label`` replaced by ``value`` (``'True'``/``'False'``), any
    ``not`` kept: ``substitute('not v1 or v2', 'v1', 'True')`` -> ``'not True or v2'``."""
    return " ".join(value if word == label else word for word in expression.split(" "))


def literal_value(expression: str) -> bool:
    """Value of a fully substituted expression: ``'not True or False'`` -> False."""
    return gate_value(expression, [word == "True" for _, word in operands(expression)])


def validate_program(program: str) -> tuple[list[str], str]:
    """Raise ValueError unless ``program`` is one of this task's programs: input lines
    (``vX=True``/``False``), at least one gate line, then ``print(vX)`` of a gate, each line
    ending in a newline; every label defined once, every operand defined before it is used.
    Returns the gate labels in order and the printed label."""
    lines = program.split("\n")
    if not program.endswith("\n") or len(lines) < 3 or not _PRINT.fullmatch(lines[-2]):
        raise ValueError(
            "a logical-graph program is input lines, gate lines, then print(vX), each ending in a newline"
        )
    defined: set[str] = set()
    gates: list[str] = []
    for i, line in enumerate(lines[:-2], 1):
        if m := _INPUT.fullmatch(line):
            if gates:
                raise ValueError(f"line {i}: input {m.group(1)} after the first gate")
        elif m := _GATE.fullmatch(line):
            used = [label for _, label in operands(m.group(2))]
            if missing := [label for label in used if label not in defined]:
                raise ValueError(f"line {i}: {', '.join(missing)} used before it is defined")
            gates.append(m.group(1))
        else:
            raise ValueError(f"line {i}: not an input or gate line of the logical-graph language: {line!r}")
        if m.group(1) in defined:
            raise ValueError(f"line {i}: {m.group(1)} is defined twice")
        defined.add(m.group(1))
    output = _PRINT.fullmatch(lines[-2]).group(1)
    if output not in gates:
        raise ValueError(f"print({output}) must name a gate")
    return gates, output


def back_to_parent(b: TrajectoryBuilder, node: str, value: str) -> tuple[str, str] | None:
    """``[find]node for``: the parent waiting for resolved ``node``, found again (``[find]vP=``), as
    (label, current expression: its last line); or, when none waits (``node`` is the output),
    ``[ANS]`` and ``value``, and None."""
    parent = b.find(f"{node} for")
    if not parent:
        b.answer()
        b.output(value)
        return None
    label, expression = b.find(parent[0].split(" for ")[1] + "=")[-1].split("=")
    return label, expression


class LogicalGraph(Task):
    name = "logical_graph"
    description = "evaluate a random AND/OR/NOT DAG written as Python, depth first; search tool"
    max_length = MAX_NODES - N_INPUTS
    default_length = 10
    train_length = 10

    def make_tool(self) -> SearchMemory:
        return SearchMemory()

    # -- generator ---------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, length: int) -> Problem:
        self.check_length(length)
        n_nodes = N_INPUTS + length
        labels = random_labels(rng, n_nodes)
        arity = [1 if rng.random() < ONE_OPERAND_PROBABILITY else 2 for _ in range(length)]
        # node ids: inputs 0..2, gate g is node N_INPUTS + g. Backbone: every gate but the last
        # fills one free operand slot of a random later gate, so every gate reaches the output.
        children: list[list[int]] = [[] for _ in range(length)]
        for g in range(length - 2, -1, -1):
            slots = [p for p in range(g + 1, length) for _ in range(arity[p] - len(children[p]))]
            children[slots[int(rng.integers(len(slots)))]].append(N_INPUTS + g)
        lines = [f"{labels[i]}={'True' if rng.random() < 0.5 else 'False'}" for i in range(N_INPUTS)]
        for g in range(length):
            while len(children[g]) < arity[g]:
                c = int(rng.integers(N_INPUTS + g))
                if c not in children[g]:
                    children[g].append(c)
            order = rng.permutation(arity[g]).tolist()
            words = [
                ("not " if rng.random() < NEGATION_PROBABILITY else "") + labels[children[g][k]]
                for k in order
            ]
            op = " and " if rng.random() < 0.5 else " or "
            lines.append(f"{labels[N_INPUTS + g]}={op.join(words)}")
        lines.append(f"print({labels[-1]})")
        return self.make_problem("\n".join(lines) + "\n")

    def make_problem(self, program: str) -> Problem:
        """The problem of evaluating ``program`` (validated; answer from the gates in order)."""
        gates, output = validate_program(program)
        values: dict[str, bool] = {}
        for line in program.split("\n")[:-2]:
            label, expression = line.split("=")
            if expression in ("True", "False"):
                values[label] = expression == "True"
            else:
                values[label] = gate_value(expression, [values[x] for _, x in operands(expression)])
        return Problem(self.name, len(gates), program, str(values[output]), {"output": output})

    # -- oracle ------------------------------------------------------------------------------
    def oracle(self, problem: Problem) -> Trajectory:
        _, output = validate_program(problem.prompt)
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        node, expression = b.find(f"{output}=")[-1].split("=")
        while True:  # expression: node's current expression, the last ``node=`` line in memory
            if expression in _VALUES:  # resolved: back to the parent, or answer
                if (parent := back_to_parent(b, node, expression)) is None:
                    return b.finish()
                node, expression = parent
            elif pending := [label for _, label in operands(expression) if label not in _VALUES]:
                child, child_expression = b.find(f"{pending[0]}=")[-1].split("=")
                if child_expression in _VALUES:  # substitute its value into the line found again
                    found_again = b.find(f"{node}=")  # the line to copy, just above the one written
                    assert found_again[-1] == f"{node}={expression}"
                    expression = substitute(expression, child, child_expression)
                    b.think(f"{node}={expression}\n")
                else:  # descend into child (unresolved, so its one line is its definition)
                    b.think(f"{child} for {node}\n")
                    node, expression = child, child_expression
            else:  # fully substituted: the value line
                expression = str(literal_value(expression))
                b.think(f"{node}={expression}\n")

    # -- checker -----------------------------------------------------------------------------
    def check(self, problem: Problem, output: str) -> bool:
        """Run the program with Python (no builtins but a captured ``print``), compare."""
        validate_program(problem.prompt)
        printed = io.StringIO()

        def capture(*args: object) -> None:
            print(*args, file=printed)

        program = compile(problem.prompt, "<logical_graph>", "exec")
        exec(program, {"__builtins__": {"print": capture}})  # noqa: S102 (validated grammar)
        return output == printed.getvalue().removesuffix("\n")
