"""Multi-digit multiplication n×1 and n×2 with two pointers (paper §3.2).

Prompt ``a*b=``; answer ``a*b`` in canonical decimal. Length = digits of ``a``. Test problems:
``a`` has exactly n digits, ``b`` exactly k (k = 1 for ``multiplication_nx1``, 2 for
``multiplication_nx2``). Training problems (``sample_train``): ``a`` has U{1..n} digits, ``b``
has 1 digit (n×1) or U{1, 2} digits (n×2), so the n×2 learner sees both shapes.

Memory written by the oracle (pairs are (carry, digit), least-significant pair first)::

    b one digit:   a*b= R0 [ANS] output
    b two digits:  a*b= R0 ++00 R1 == S [ANS] output

R_j is the partial product of ``a`` by the j-th digit of ``b`` (from the right): one pair per
digit of ``a``, then ``0c`` if a carry c > 0 is left. ``++`` (a pair of non-digits) ends R0;
``00`` is R1's shift by one place (one zero pair); ``==`` ends R1. S is R0 + R1, one pair per
place, then ``01`` if a carry is left. With one digit in ``b`` the single summand R0 is already
the answer in this format, so the (identity) one-summand addition is skipped.

Oracle (paper §3.2; about 25 trajectory tokens per digit of ``a`` for n×1, 54 for n×2):

1. Locate. Pointer 2 reads rightwards until ``=`` and steps left onto b's last digit; pointer 1
   reads rightwards until ``*`` and steps left onto a's last digit.
2. Rows. Pointer 1 reads a digit x and pointer 2 the current digit d of ``b`` (re-read every
   step, so d is always in view); think the pair (carry, digit) of x·d + carry; pointer 1 steps
   left. When pointer 1 reads ``[BOS]`` (before a's first digit) the row ends with ``0c`` if
   a carry c is left. Pointer 2 steps left and reads: a digit starts the next row (think
   ``++00``, ``[p1.home]``, pointer 1 walks right to ``*`` and steps left, as in 1); ``*``
   means every digit of ``b`` is used.
3. Count the rows. Pointer 2 steps right twice and reads: ``=`` means one row (write
   ``[ANS]``); a digit means two rows: pointer 2 steps right, reads ``=``, thinks ``==``.
4. Gather (two rows only). Rounds of ``[p2.right][p2.read]`` then ``[p1.right][p1.read]``:
   pointer 2 walks over R0 to the ``+`` and steps right three times, onto the digit of R1's
   zero pair; pointer 1 walks from before ``a`` to the prompt's ``=`` and steps right twice,
   onto R0's first digit. A pointer that has arrived takes no further part in the rounds.
5. Add (two rows only). Each running pointer reads a digit (carries are skipped: it then steps
   right twice); a pointer that reads a non-digit (pointer 1 the second ``+``, pointer 2 the
   second ``=``) stops for good. Think (carry, digit) of the sum; when both stopped, ``01`` if
   a carry is left, then ``[ANS]``.
6. Output. Pointer 2, standing on the ``=`` just before the answer's pairs, walks right to
   ``[ANS]``, steps left onto the top digit, then reads, outputs and steps left twice until it
   reads ``=``. Leading zeros (only when the product is 0) are skipped: a zero is output only
   if a digit was output before it; if nothing was, the output is ``0``.

Every decision depends only on the last 11 context tokens, never on n (measured over both
variants, zeros and carries included: 11 suffice, 10 do not; tests/test_multiplication.py
checks it). The longest reach is an addition step: the incoming carry sits in the pair thought
before four moves and two reads. The current digit of ``b`` is re-read every step. Where two
walks meet the same token, the commands next to it tell them apart: pointer 1 passes ``*``
alone when locating ``a`` and alternating with pointer 2 when gathering; pointer 2 reads the
prompt's ``=`` after ``[p2.read]<digit>[p2.right]`` when locating and after the count's double
``[p2.right]`` when counting. The output walk is the only one that meets ``[ANS]``, the gather
walk the only one that meets ``+``, so, unlike addition's two-pointer output phase, no decision
hangs on a marker far back. Two pointers suffice, as in the paper (max(k, 2) pointers for a
k-digit ``b``).
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from tasks.digits import column_sum, random_number
from toolenv.bigint import canonical, to_int, to_str
from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.task import Task
from toolenv.tools import PointerMemory
from toolenv.trajectory import Trajectory

_NUMBER = r"(?:0|[1-9][0-9]*)"


def _digit_run(k: int) -> str:
    return "[0-9]" if k == 1 else rf"(?:[0-9]|[1-9][0-9]{{1,{k - 1}}})"


class _Multiplication(Task):
    """Shared base: ``b_digits`` is the most digits the second operand may have (1 or 2)."""

    b_digits: ClassVar[int]
    max_length = 100_000
    default_length = 10
    train_length = 10

    def make_tool(self) -> PointerMemory:
        return PointerMemory(2)

    # -- problems ------------------------------------------------------------------------------
    def parse_prompt(self, prompt: str) -> tuple[str, str]:
        """Operands of an ``a*b=`` prompt (canonical decimals, b with 1..b_digits digits)."""
        if not re.fullmatch(rf"({_NUMBER})\*({_digit_run(self.b_digits)})=", prompt):
            raise ValueError(
                f"{self.name}: not a prompt 'a*b=' with canonical decimals and b of at most "
                f"{self.b_digits} digit(s): {prompt[:60]!r}"
            )
        a, b = prompt[:-1].split("*")
        return a, b

    def make_problem(self, a: str, b: str) -> Problem:
        """The problem ``a*b=`` for decimal strings ``a`` and ``b`` (no sign, no leading zeros)."""
        a, b = str(a), str(b)
        if not canonical(a) or not canonical(b):
            raise ValueError(f"{self.name}: operands must be canonical decimals, got a={a[:40]!r}, b={b!r}")
        if len(b) > self.b_digits:
            raise ValueError(f"{self.name}: b must have at most {self.b_digits} digit(s), got {b!r}")
        self.check_length(len(a))
        return Problem(self.name, len(a), f"{a}*{b}=", to_str(to_int(a) * to_int(b)), {"a": a, "b": b})

    def sample(self, rng: np.random.Generator, length: int) -> Problem:
        self.check_length(length)
        return self.make_problem(random_number(rng, length), random_number(rng, self.b_digits))

    def sample_train(self, rng: np.random.Generator, max_length: int) -> Problem:
        self.check_length(max_length)
        n1 = int(rng.integers(1, max_length + 1))
        n2 = int(rng.integers(1, self.b_digits + 1))
        return self.make_problem(random_number(rng, n1), random_number(rng, n2))

    # -- oracle ----------------------------------------------------------------------------------
    def oracle(self, problem: Problem) -> Trajectory:
        self.parse_prompt(problem.prompt)  # fail early on a malformed problem
        t = TrajectoryBuilder(problem.prompt, self.make_tool())
        # 1. Locate the least-significant digits: pointer 2 first, so every row starts alike.
        while t.read(2) != "=":
            t.right(2)
        t.left(2)
        _locate_a(t)
        # 2. One row per digit of b, least significant first.
        while True:
            carry = 0
            while (x := t.read(1)) != "[BOS]":
                value = int(x) * int(t.read(2)) + carry
                carry = value // 10
                t.think(f"{carry}{value % 10}")
                t.left(1)
            if carry:
                t.think(f"0{carry}")
            t.left(2)
            if t.read(2) == "*":
                break
            t.think("++00")
            t.home(1)
            _locate_a(t)
        # 3. Count the rows: two steps right of '*' is '=' (one digit in b) or b's last digit.
        t.right(2)
        t.right(2)
        if t.read(2) != "=":
            t.right(2)
            _expect(t.read(2), "=")
            t.think("==")
            _gather(t)
            _add(t)
        t.answer()
        # 6. Output: pointer 2 stands on the '=' before the answer's pairs.
        t.right(2)
        while t.read(2) != "[ANS]":
            t.right(2)
        t.left(2)
        emitted = False
        while (c := t.read(2)) != "=":
            if emitted or c != "0":
                t.output(c)
                emitted = True
            t.left(2)
            t.left(2)
        if not emitted:
            t.output("0")
        return t.finish()

    # -- checker ---------------------------------------------------------------------------------
    def check(self, problem: Problem, output: str) -> bool:
        a, b = self.parse_prompt(problem.prompt)
        return canonical(output) and to_int(output) == to_int(a) * to_int(b)


def _expect(seen: str, wanted: str) -> None:
    if seen != wanted:
        raise AssertionError(f"oracle read {seen!r} where the layout has {wanted!r}")


def _locate_a(t: TrajectoryBuilder) -> None:
    """Pointer 1 reads rightwards to ``*`` and steps left onto a's last digit."""
    while t.read(1) != "*":
        t.right(1)
    t.left(1)


def _gather(t: TrajectoryBuilder) -> None:
    """Step 4: pointer 2 (on the prompt's '=') to R1's first digit, pointer 1 (before a) to
    R0's first digit, in alternating rounds."""
    run1 = run2 = True
    while run1 or run2:
        if run2:
            t.right(2)
            if t.read(2) == "+":
                for _ in range(3):
                    t.right(2)
                run2 = False
        if run1:
            t.right(1)
            if t.read(1) == "=":
                t.right(1)
                t.right(1)
                run1 = False


def _add(t: TrajectoryBuilder) -> None:
    """Step 5: R0 (pointer 1) + R1 (pointer 2), digits only (each pointer skips the carries: two
    steps right), written as (carry, digit) pairs."""

    def two_right(k: int) -> None:
        t.right(k)
        t.right(k)

    column_sum(t, two_right)


class MultiplicationNx1(_Multiplication):
    name = "multiplication_nx1"
    description = "a*b= with an n-digit a and a one-digit b; two pointers"
    b_digits = 1


class MultiplicationNx2(_Multiplication):
    name = "multiplication_nx2"
    description = "a*b= with an n-digit a and a two-digit b (training: one or two); two pointers"
    b_digits = 2
