"""Code tracing: run a small Python program in your head and write what it prints.

Prompt: the program text (lines end with a newline), e.g.::

    b=4
    a=(b+7)%10
    for _ in range(3):
        b=a*b%10
    print(a,b)

Answer: what ``print`` writes, without its final newline (here ``1 4``). Length = assignment
statements executed (a loop body counts once per iteration; the ``for`` line and ``print``
do not count).

Language (everything mod 10, so every value is one digit): variables ``a b c d``; an
assignment ``x=E`` with E one of ``k``, ``y``, ``(u+v)%10``, ``(u-v)%10``, ``u*v%10`` (u, v a
variable or a digit k, at least one of them a variable; a variable is read only after it was
assigned); ``for _ in range(r):`` with 2 <= r <= 9 (the generator draws 2-4) and a body of 1-3
assignments indented by four spaces (no nesting); a last line ``print(...)`` of every assigned variable, in
alphabetical order.

Oracle (one pointer, about 85 tokens per executed statement, see docs/tasks/code_tracing.md):
pointer 1 reads the program one character at a time. After each line it also reads the first
character of the next line, then writes thoughts: for an assignment ``x=(u+v)%10``,
``x=(u-v)%10`` or ``x=u*v%10`` first an *operand line*, the operands' values with the operator
and the result (``3*4=2``), then, after every line, a *state line*: the assigned variables with
their values, e.g. ``a1b4``, plus ``|m`` inside a loop, m = iterations left including the
current one (a ``for`` line writes its r as read). When the body ends (the next line is not
indented) and m > 1, the pointer walks left, reading, to the ``:`` of the ``for`` line, steps
onto the body again and writes the state with ``|m-1``; at the end of the last iteration the
``|m`` is dropped. At ``print`` it writes ``[ANS]`` and outputs, for each variable it reads, the
value from the last state line, and a space for each comma.

Each decision needs only the last state line and the tokens since then: at most one statement
and its operand line, or one walk back over one loop body (bounded: three short lines). A result
is one lookup in a table of the three tokens just written, not a fused two-hop step (the first
format, without operand lines, was learned by no model: docs/tasks/code_tracing.md).
"""

from __future__ import annotations

import io
import re

import numpy as np

from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.task import Task
from toolenv.tools import PointerMemory
from toolenv.trajectory import Trajectory

VARIABLES = "abcd"
INDENT = "    "
MAX_BODY = 3
MAX_REPEATS = 4
LOOP_PROBABILITY = 0.2

_OPERAND = r"(?:[abcd]|[0-9])"
_EXPR = rf"(?:[0-9]|[abcd]|\({_OPERAND}[+-]{_OPERAND}\)%10|{_OPERAND}\*{_OPERAND}%10)"
_ASSIGN = re.compile(rf"([abcd])=({_EXPR})")
_FOR = re.compile(r"for _ in range\(([2-9])\):")
_PRINT = re.compile(r"print\([abcd](?:,[abcd])*\)")


def evaluate(expression: str, state: dict[str, int]) -> int:
    """Value of one right-hand side of the language (the oracle's and generator's interpreter)."""

    def value(operand: str) -> int:
        return int(operand) if operand.isdigit() else state[operand]

    if len(expression) == 1:
        return value(expression)
    if expression.startswith("("):  # (u+v)%10 or (u-v)%10
        u, op, v = expression[1], expression[2], expression[3]
        return (value(u) + value(v)) % 10 if op == "+" else (value(u) - value(v)) % 10
    return value(expression[0]) * value(expression[2]) % 10  # u*v%10


def state_line(state: dict[str, int], left: int | None) -> str:
    """The thought written after each line: ``a1b4`` (assigned variables), ``|m`` in a loop."""
    text = "".join(f"{v}{state[v]}" for v in sorted(state))
    return text + ("" if left is None else f"|{left}") + "\n"


def operand_line(expression: str, state: dict[str, int]) -> str | None:
    """The thought written before the state line of ``(u+v)%10``, ``(u-v)%10`` or ``u*v%10``: the
    operands' values, the operator and the result (``3*4=2``); None for ``k`` and ``y``."""
    if len(expression) == 1:
        return None
    u, op, v = (expression[1:4] if expression.startswith("(") else (expression[0], "*", expression[2]))
    values = [w if w.isdigit() else str(state[w]) for w in (u, v)]
    return f"{values[0]}{op}{values[1]}={evaluate(expression, state)}\n"


def validate_program(program: str) -> None:
    """Raise ValueError unless ``program`` is a program of this task's language (grammar only)."""
    lines = program.split("\n")
    if not program.endswith("\n") or len(lines) < 3 or not _PRINT.fullmatch(lines[-2]):
        raise ValueError(
            "a code-tracing program is assignment and for lines, then one print(...) line, each ending in a newline"
        )
    body = None  # assignments so far in the current loop body, None outside a loop
    for i, line in enumerate(lines[:-2], 1):
        if line.startswith(INDENT):
            if body is None or not _ASSIGN.fullmatch(line[len(INDENT) :]):
                raise ValueError(f"line {i}: not an assignment in a loop body: {line!r}")
            body += 1
            if body > MAX_BODY:
                raise ValueError(f"line {i}: a loop body has at most {MAX_BODY} assignments")
        elif _FOR.fullmatch(line):
            if not lines[i].startswith(INDENT):
                raise ValueError(f"line {i}: a for loop needs an indented body")
            body = 0
        elif _ASSIGN.fullmatch(line):
            body = None
        else:
            raise ValueError(f"line {i}: not a statement of the code-tracing language: {line!r}")


def executed_statements(program: str) -> list[str]:
    """The assignments of a valid program in the order they run (loop bodies unrolled)."""
    lines = program.split("\n")[:-2]  # without the print line
    statements: list[str] = []
    i = 0
    while i < len(lines):
        if loop := _FOR.fullmatch(lines[i]):
            body = []
            while i + 1 + len(body) < len(lines) and lines[i + 1 + len(body)].startswith(INDENT):
                body.append(lines[i + 1 + len(body)][len(INDENT) :])
            statements += body * int(loop.group(1))
            i += 1 + len(body)
        else:
            statements.append(lines[i])
            i += 1
    return statements


class CodeTracing(Task):
    name = "code_tracing"
    description = "trace a Python program (4 variables mod 10, for loops); one pointer"
    max_length = 100_000
    default_length = 10
    train_length = 10

    def make_tool(self) -> PointerMemory:
        return PointerMemory(1)

    # -- generator ---------------------------------------------------------------------------
    @staticmethod
    def _assignment(rng: np.random.Generator, defined: list[str]) -> str:
        target = VARIABLES[int(rng.integers(len(VARIABLES)))]
        form = int(rng.integers(10)) if defined else 0
        if form == 0:
            rhs = str(int(rng.integers(10)))
        elif form == 1:
            rhs = defined[int(rng.integers(len(defined)))]
        else:
            operands = [defined[int(rng.integers(len(defined)))], str(int(rng.integers(10)))]
            if rng.random() < 0.6:
                operands[1] = defined[int(rng.integers(len(defined)))]
            if rng.random() < 0.5:
                operands.reverse()
            u, v = operands
            rhs = (f"({u}+{v})%10", f"({u}-{v})%10", f"{u}*{v}%10")[(form - 2) % 3]
        if target not in defined:
            defined.append(target)
        return f"{target}={rhs}"

    def sample(self, rng: np.random.Generator, length: int) -> Problem:
        self.check_length(length)
        lines: list[str] = []
        defined: list[str] = []
        left = length
        while left:
            if defined and left >= 2 and rng.random() < LOOP_PROBABILITY:
                body = int(rng.integers(1, min(MAX_BODY, left // 2) + 1))
                repeats = int(rng.integers(2, min(MAX_REPEATS, left // body) + 1))
                lines.append(f"for _ in range({repeats}):")
                lines += [INDENT + self._assignment(rng, defined) for _ in range(body)]
                left -= body * repeats
            else:
                lines.append(self._assignment(rng, defined))
                left -= 1
        lines.append(f"print({','.join(sorted(defined))})")
        return self.make_problem("\n".join(lines) + "\n")

    def make_problem(self, program: str) -> Problem:
        """The problem of tracing ``program`` (validated against the language)."""
        validate_program(program)
        state: dict[str, int] = {}
        statements = executed_statements(program)
        for statement in statements:
            try:
                state[statement[0]] = evaluate(statement[2:], state)
            except KeyError as e:
                raise ValueError(f"{statement!r} reads variable {e.args[0]} before it is assigned") from None
        lines = program.split("\n")[:-1]
        printed = lines[-1][len("print(") : -1].split(",")
        if unassigned := [v for v in printed if v not in state]:
            raise ValueError(f"print reads unassigned variable(s) {', '.join(unassigned)}")
        answer = " ".join(str(state[v]) for v in printed)
        return Problem(self.name, len(statements), program, answer, {"lines": len(lines)})

    # -- oracle ------------------------------------------------------------------------------
    def oracle(self, problem: Problem) -> Trajectory:
        validate_program(problem.prompt)
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        state: dict[str, int] = {}
        left: int | None = None  # iterations of the loop body left, the current one included
        c = b.read(1)
        while c != "p":  # the pointer is on the first character of a line, already read
            line = c
            while c != "\n":
                b.right(1)
                c = b.read(1)
                line += c
            b.right(1)
            c = b.read(1)  # first character of the next line
            statement = line.strip()
            if statement.startswith("for"):
                left = int(statement[len("for _ in range(")])
            else:
                if operands := operand_line(statement[2:], state):
                    b.think(operands)
                state[statement[0]] = evaluate(statement[2:], state)
                if left == 1 and c != " ":
                    left = None
            b.think(state_line(state, left))
            if left is not None and c != " ":  # end of the body, another iteration to go
                b.left(1)
                while b.read(1) != ":":
                    b.left(1)
                b.right(1)
                b.read(1)  # the newline after the colon
                b.right(1)
                c = b.read(1)
                left -= 1
                b.think(state_line(state, left))
        b.answer()
        while True:
            b.right(1)
            c = b.read(1)
            if c == ")":
                return b.finish()
            if c in VARIABLES:
                b.output(str(state[c]))
            elif c == ",":
                b.output(" ")

    # -- checker -----------------------------------------------------------------------------
    def check(self, problem: Problem, output: str) -> bool:
        """Run the program with Python (no builtins but ``print`` and ``range``), compare."""
        validate_program(problem.prompt)
        printed = io.StringIO()

        def capture(*args: object) -> None:
            print(*args, file=printed)

        program = compile(problem.prompt, "<code_tracing>", "exec")
        exec(program, {"__builtins__": {"print": capture, "range": range}})  # noqa: S102 (validated grammar)
        return output == printed.getvalue().removesuffix("\n")
