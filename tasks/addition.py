"""Multi-digit addition with two pointers (paper §3.1, App. D.3).

Prompt ``a+b=``; answer ``a+b`` in decimal. Length = digits per operand (test problems have
two operands of exactly that many digits); training problems draw both operand lengths
independently from 1..n, as in the paper.

Oracle (≈34 tokens per digit; every decision depends only on the last few tokens):

1. Pointer 1 reads rightwards until it sees ``+``, pointer 2 until ``=``; each steps back one,
   onto the least-significant digits.
2. Loop: read a digit through each pointer still on a digit (a pointer stops for good at the
   first non-digit it reads, counting as 0 after that); think two tokens, the new carry then
   the sum digit; move the running pointers left. When both have stopped, a last carry is
   written as ``01``; then ``[ANS]``.
3. The sum is now in memory in reverse, as (carry, digit) pairs. Pointer 3, unused so far,
   reads rightwards from the start to ``[ANS]``, steps left onto the last digit, then outputs a
   digit and steps left twice, until it reads ``=``. The output is the sum in normal order.

Why a third pointer: with two (as in the paper's description), pointer 2 would cross ``=`` both
in phase 1 (stop there) and in phase 3 (keep going), and only the distant ``[ANS]`` tells the
phases apart. A tiny Mamba-2 trained on ≤5 digits learned that, but forgot the phase once the
scan got long (0% at 50 digits while 100% at 20). With pointer 3 the phase is visible in every
command token, so each decision needs only a bounded window.
"""

from __future__ import annotations

import numpy as np

from tasks.digits import column_sum, random_number
from toolenv.bigint import canonical, to_int, to_str
from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.task import Task
from toolenv.tools import PointerMemory
from toolenv.trajectory import Trajectory


class Addition(Task):
    name = "addition"
    description = "a+b= for n-digit operands; three pointers"
    max_length = 100_000
    default_length = 5
    train_length = 5

    def make_tool(self) -> PointerMemory:
        return PointerMemory(3)

    def _problem(self, a: str, b: str, length: int) -> Problem:
        answer = to_str(to_int(a) + to_int(b))
        return Problem(self.name, length, f"{a}+{b}=", answer, {"a": a, "b": b})

    def sample(self, rng: np.random.Generator, length: int) -> Problem:
        self.check_length(length)
        return self._problem(random_number(rng, length), random_number(rng, length), length)

    def sample_train(self, rng: np.random.Generator, max_length: int) -> Problem:
        self.check_length(max_length)
        n1, n2 = (int(x) for x in rng.integers(1, max_length + 1, size=2))
        return self._problem(random_number(rng, n1), random_number(rng, n2), max(n1, n2))

    def oracle(self, problem: Problem) -> Trajectory:
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        for k, stop in ((1, "+"), (2, "=")):
            while b.read(k) != stop:
                b.right(k)
            b.left(k)
        column_sum(b, b.left)  # least significant digits first
        b.answer()
        while b.read(3) != "[ANS]":
            b.right(3)
        b.left(3)
        while (c := b.read(3)) != "=":
            b.output(c)
            b.left(3)
            b.left(3)
        return b.finish()

    def check(self, problem: Problem, output: str) -> bool:
        if not canonical(output):
            return False
        return to_int(output) == to_int(problem.meta["a"]) + to_int(problem.meta["b"])
