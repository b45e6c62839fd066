"""Sorting n integers 0-999 by LSD radix sort, four pointers, one per bucket.

Prompt ``sort:12,7,999,7=``; answer the items in non-decreasing order, comma-separated, in
canonical decimal: ``7,7,12,999``. Length = number of items (duplicates allowed).

Oracle (about 230 tokens per item, see docs/tasks/sorting.md). The sort key of an item
``hto`` (zero-padded: hundreds, tens, ones) is written in mixed radix: every decimal digit d
is the pair (d // 4, d % 4), so the item has six radix digits, each with at most four values.
Six stable passes sort by them from least to most significant (ones % 4, ones // 4,
tens % 4, tens // 4, hundreds % 4, hundreds // 4). A pass writes a new list as thoughts; each
pointer K scans the previous list once, from its start to its end, and copies the items whose
class is K-1, so the new list holds class 0, then 1, 2, 3, each in the old order (stable).
Every pointer ends a pass exactly where the next pass's list begins: no pointer ever walks
back, and no bucket number has to be remembered during a scan (the pointer in the command
says which bucket is being collected).

List formats (one list per line, each item followed by ``,``, the line closed by ``|p``, p
the pass that wrote it):

- pass 0 reads the prompt (every character) and writes ``Oht,`` for item ``hto``, where
  ``O`` is the ones digit as a letter (``A``..``J`` for 0..9); class = ones % 4;
- a *div* list (key a letter ``Kab,``): class = index(K) // 4; the item is copied as
  ``b k a,`` (last character to the front, the letter decoded to its digit);
- a *mod* list (key a digit ``kab,``): class = k % 4; the item is copied as ``Kab,``
  (the key letterized).

So the key of the next pass is always the first character of an item: passes 1-5 read just
that one character of an item they skip (6 tokens) and three characters of an item they
copy. Pointer 4 reads the digit after ``|`` and writes the next list's ``|p+1``; after the
list closed by ``|5`` it writes ``[ANS]``, and pointer 1 outputs the final list, whose items
are ``oht``, as ``hto`` without leading zeros, a comma before every item but the first.

Every decision depends on the pointer named in the last command and on the last few
observations (at most the last item read and the last item written), never on n.
"""

from __future__ import annotations

import re

import numpy as np

from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.task import Task
from toolenv.tools import PointerMemory
from toolenv.trajectory import Trajectory

LETTERS = "ABCDEFGHIJ"
"""Digit d as a letter: marks the key of a list sorted next by d // 4."""
MAX_ITEM = 999
PASSES = 6
_PROMPT = re.compile(r"sort:(?:0|[1-9][0-9]{0,2})(?:,(?:0|[1-9][0-9]{0,2}))*=")


def parse_prompt(prompt: str) -> list[int]:
    """The items of a ``sort:a,b,...=`` prompt. Raises ValueError on anything else."""
    if not _PROMPT.fullmatch(prompt):
        raise ValueError(
            f"not a sorting prompt (want 'sort:' + comma-separated 0..{MAX_ITEM} + '='): {prompt[:60]!r}"
        )
    return [int(x) for x in prompt[5:-1].split(",")]


def _class(key: str) -> int:
    """The bucket (0..3) of an item whose first character is ``key``."""
    return LETTERS.index(key) // 4 if key in LETTERS else int(key) % 4


def _copy(key: str, a: str, b: str) -> str:
    """How an item ``key a b`` is written into the next list (see the module docstring)."""
    if key in LETTERS:
        return f"{b}{LETTERS.index(key)}{a},"
    return f"{LETTERS[int(key)]}{a}{b},"


class Sorting(Task):
    name = "sorting"
    description = "sort:12,7,999,7= -> 7,7,12,999 (items 0-999); LSD radix sort, four pointers"
    max_length = 10_000
    default_length = 10
    train_length = 10

    def make_tool(self) -> PointerMemory:
        return PointerMemory(4)

    def make_problem(self, items: list[int]) -> Problem:
        """The problem of sorting ``items`` (integers in 0..999)."""
        if not items or any(not 0 <= int(x) <= MAX_ITEM for x in items):
            raise ValueError(
                f"sorting items must be a non-empty list of integers in 0..{MAX_ITEM}, got {items!r}"
            )
        items = [int(x) for x in items]
        self.check_length(len(items))
        prompt = "sort:" + ",".join(map(str, items)) + "="
        return Problem(self.name, len(items), prompt, ",".join(map(str, sorted(items))), {"items": items})

    def sample(self, rng: np.random.Generator, length: int) -> Problem:
        self.check_length(length)
        return self.make_problem(rng.integers(0, MAX_ITEM + 1, size=length).tolist())

    def oracle(self, problem: Problem) -> Trajectory:
        parse_prompt(problem.prompt)  # fail early on a malformed problem
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        # Pass 0: every pointer reads the whole prompt, character by character.
        for k in range(1, 5):
            digits = ""
            while True:
                c = b.read(k)
                if c.isdigit():
                    digits += c
                elif c in ",=":
                    h, t, o = digits.zfill(3)
                    if int(o) % 4 == k - 1:
                        b.think(f"{LETTERS[int(o)]}{h}{t},")
                    digits = ""
                b.right(k)
                if c == "=":
                    break
        b.think("|0\n")
        # Passes 1..5: fixed-width items; a pointer reads an item's key, then copies or skips it.
        while True:
            for k in range(1, 5):
                while (key := b.read(k)) != "|":
                    b.right(k)
                    if _class(key) == k - 1:
                        a = b.read(k)
                        b.right(k)
                        c = b.read(k)
                        b.think(_copy(key, a, c))
                        b.right(k)
                        b.right(k)
                    else:
                        for _ in range(3):
                            b.right(k)
                b.right(k)
                if k < 4:
                    b.right(k)
                    b.right(k)
            finished = int(b.read(4)) + 1
            b.right(4)
            b.right(4)
            b.think(f"|{finished}\n")
            if finished == PASSES - 1:
                break
        # Output: items of the last list are "oht"; write "hto" without leading zeros.
        b.answer()
        first = True
        while (o := b.read(1)) != "|":
            b.right(1)
            h = b.read(1)
            b.right(1)
            t = b.read(1)
            b.output(("" if first else ",") + str(int(h + t + o)))
            b.right(1)
            b.right(1)
            first = False
        return b.finish()

    def check(self, problem: Problem, output: str) -> bool:
        expected = ",".join(str(x) for x in sorted(parse_prompt(problem.prompt)))
        return output == expected
