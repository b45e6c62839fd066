"""Tower of Hanoi, iterative (one pointer) and recursive (two pointers) (paper §3.3, App. D.4).

Problem: n disks with distinct sizes drawn from 1..100, stacked on rod A largest at the
bottom; move them all to rod C. Length = n. Prompt: the variant's name, ``:``, the disks from
the bottom up, ``=``: ``hanoi:(7)(5)(2)=`` (``hanoi_recursive:(7)(5)(2)=`` for the recursive
variant, so that one model can learn both). A move is ``(d)XY``: disk d from rod X to rod Y.
Both checkers replay the output on a simulator and accept only the unique shortest solution:
2^n - 1 legal moves that end with every disk on C (the paper scores exact matches).

**Iterative** (``hanoi``, ``pointer(1)``). Output: for each move, ``(d)XY$`` and the state
after it. A state is a header, ``<`` if the smallest disk cycles A->C->B->A (n odd) or ``>``
if it cycles A->B->C->A (n even), then every disk, smallest first, as its size and its rod
letter. The letter's case is a bit of the move counter t, least significant bit on the
smallest disk: uppercase 1, lowercase 0. Output for ``hanoi:(7)(5)=``::

    (5)AB$>5B7a(7)AC$>5b7C(5)BC$>5C7C

The counter makes every step local: move t+1 moves the disk of the lowest 0 bit of t (binary
increment), the smallest disk to the next rod of its cycle, any other disk to the rod that
holds neither it nor the smaller disks (all on the rod of the disk listed just before it).

1. Thoughts. The pointer reads the prompt from the bottom disk up, writing ``C``, ``B``,
   ``C``, ... per disk (the first rod each disk visits); at ``=`` the last letter gives the
   header. It walks back left, writing the initial state (every disk ``a``, smallest first),
   and at ``:`` writes ``[ANS]``; then it walks right to that state's header.
2. Each move (pointer on the header of the current state): *scan* right over the disks whose
   letter is uppercase (the carry) to the first lowercase one and output its move ``(d)XY$``;
   *rewind* left to the header; *copy* the state as output: uppercase letters of the carry
   turn lowercase, the first lowercase letter turns uppercase on the new rod, the rest is
   copied; at the move record that follows the state the pointer steps right up to ``$`` and
   onto the new state's header. When a scan reads past the end (every letter uppercase: all
   disks on C), it writes ``[EOS]``.

**Recursive** (``hanoi_recursive``, ``pointer(2)``). Thoughts: the move lists for 1, ..., n-1
disks, each list ``L_i`` preceded by the disks not used yet ``R_i`` (the prompt's, minus the i
smallest): memory is ``prompt R_1 | L_1 # R_2 | L_2 # ...``. Output: ``L_n`` (``L_i`` moves the
i smallest disks from A to C). Output for ``hanoi_recursive:(7)(5)(2)=``::

    (2)AC(5)AB(2)CB(7)AC(2)BA(5)BC(2)AC

Level i builds ``L_i`` from ``R_{i-1}`` and ``L_{i-1}`` (the prompt plays ``R_0`` and an empty
``L_0``): pointer 1 copies ``R_{i-1}`` without its last disk into ``R_i``, closed by ``|``
(or, when nothing is left, ``[ANS]`` instead: this is the last level), then copies ``L_{i-1}``
with B and C swapped. Pointer 2 reads ``R_{i-1}`` to its last disk d, writes ``(d)AC``, then
copies ``L_{i-1}`` with A and B swapped. Pointer 2 then peeks at the next token: ``(`` (the
next ``R`` begins) means write ``#`` and go on, ``[ANS]`` means write ``[EOS]``.

Every decision of both oracles is a function of the last few context tokens, never of n:
18 tokens for the iterative oracle, 13 for the recursive one (measured in tests/test_hanoi.py
over lengths 1-10 and 1-11, with 1-, 2- and 3-digit disks; one token less clashes). The
longest reach is a three-digit disk read while walking over the prompt.

Lengths. Trajectories grow like 2^n (the iterative one like n 2^n: every move rewrites the
n-disk state): about 0.87M tokens at 12 disks (iterative) and 0.2M (recursive), doubling or
more with each disk. ``max_length`` stops where one oracle trajectory passes ~4M tokens
(14 disks iterative, 16 recursive), beyond the paper's largest test lengths (12 and 9).
docs/tasks/hanoi.md has the measured trajectory sizes and step limits.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from itertools import pairwise
from typing import ClassVar

import numpy as np

from toolenv.builder import TrajectoryBuilder
from toolenv.problem import Problem
from toolenv.task import Task
from toolenv.tools import PointerMemory
from toolenv.trajectory import Trajectory

MAX_DISK = 100
"""Disk sizes are distinct integers in 1..MAX_DISK."""
RODS = "ABC"
HEADERS = {"<": "ACB", ">": "ABC"}
"""State header -> the cycle of rods the smallest disk follows."""
_SIZE = r"(?:100|[1-9][0-9]?)"
_MOVE = re.compile(rf"\(({_SIZE})\)([ABC])([ABC])")
_ITERATIVE_STEP = re.compile(rf"\(({_SIZE})\)([ABC])([ABC])\$([<>](?:{_SIZE}[ABCabc])+)")


def shortest_solution(n: int) -> list[tuple[int, str, str]]:
    """The 2^n - 1 moves ``(disk, from, to)`` that carry n disks from A to C; disk 0 is the
    smallest. Plain recursion, independent of both oracles."""
    moves: list[tuple[int, str, str]] = []

    def solve(k: int, src: str, dst: str, via: str) -> None:
        if k:
            solve(k - 1, src, via, dst)
            moves.append((k - 1, src, dst))
            solve(k - 1, via, dst, src)

    solve(n, "A", "C", "B")
    return moves


def render_state(sizes: list[int], rods: list[str], moves_done: int) -> str:
    """The iterative variant's state text: header, then ``<size><rod>`` per disk, smallest
    first (``sizes`` and ``rods`` smallest first), the rod's case = bit of ``moves_done``."""
    header = "<" if len(sizes) % 2 else ">"
    return header + "".join(
        f"{s}{r if (moves_done >> j) & 1 else r.lower()}" for j, (s, r) in enumerate(zip(sizes, rods))
    )


class Towers:
    """Three rods under the rules: ``move(d, x, y)`` raises ValueError unless disk d is on top
    of rod x and smaller than the top of rod y."""

    def __init__(self, disks: list[int]) -> None:
        self.rods: dict[str, list[int]] = {"A": sorted(disks, reverse=True), "B": [], "C": []}

    def move(self, disk: int, src: str, dst: str) -> None:
        if src == dst:
            raise ValueError(f"move ({disk}){src}{dst} does not change rods")
        if not self.rods[src] or self.rods[src][-1] != disk:
            raise ValueError(f"disk {disk} is not on top of rod {src} ({self.rods[src]})")
        if self.rods[dst] and self.rods[dst][-1] < disk:
            raise ValueError(f"disk {disk} cannot go onto the smaller disk {self.rods[dst][-1]} on rod {dst}")
        self.rods[dst].append(self.rods[src].pop())

    def rod_of(self, disk: int) -> str:
        return next(r for r, stack in self.rods.items() if disk in stack)

    def solved(self) -> bool:
        return not self.rods["A"] and not self.rods["B"]


class _Hanoi(Task):
    """What both variants share: problems, prompt format, validation."""

    default_length = 4
    prefix: ClassVar[str]

    def make_problem(self, disks: list[int]) -> Problem:
        """The problem of moving ``disks`` (distinct sizes in 1..100, any order) from A to C."""
        ok = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in disks)
        sizes = [int(d) for d in disks] if ok else []
        if not sizes or len(set(sizes)) != len(sizes) or not all(1 <= d <= MAX_DISK for d in sizes):
            raise ValueError(f"{self.name} disks must be distinct integers in 1..{MAX_DISK}, got {disks!r}")
        self.check_length(len(sizes))
        sizes.sort(reverse=True)
        prompt = self.prefix + "".join(f"({d})" for d in sizes) + "="
        return Problem(self.name, len(sizes), prompt, self.render_answer(sizes), {"disks": sizes})

    def sample(self, rng: np.random.Generator, length: int) -> Problem:
        self.check_length(length)
        return self.make_problem((rng.choice(MAX_DISK, size=length, replace=False) + 1).tolist())

    def parse_prompt(self, prompt: str) -> list[int]:
        """The disk sizes of a prompt, bottom first. Raises ValueError on anything else."""
        if not re.fullmatch(re.escape(self.prefix) + rf"(?:\({_SIZE}\))+=", prompt):
            raise ValueError(
                f"not a {self.name} prompt (want {self.prefix!r} + '(7)(5)(2)' + '='): {prompt[:60]!r}"
            )
        sizes = [int(d) for d in re.findall(r"\d+", prompt[len(self.prefix) :])]
        if any(a <= b for a, b in pairwise(sizes)):
            raise ValueError(f"{self.name} prompt must list distinct disks largest first: {prompt[:60]!r}")
        return sizes

    @abstractmethod
    def render_answer(self, sizes: list[int]) -> str:
        """The reference answer for disks ``sizes`` (largest first)."""


class Hanoi(_Hanoi):
    name = "hanoi"
    max_length = 14
    description = "hanoi:(7)(5)(2)= -> moves (d)XY$ each followed by the new state; one pointer"
    train_length = 8  # paper Table 1: iterative Hanoi trained on <= 8 disks
    prefix = "hanoi:"

    def make_tool(self) -> PointerMemory:
        return PointerMemory(1)

    def render_answer(self, sizes: list[int]) -> str:
        small_first = sorted(sizes)
        rods = ["A"] * len(sizes)
        parts = []
        for t, (j, src, dst) in enumerate(shortest_solution(len(sizes)), 1):
            rods[j] = dst
            parts.append(f"({small_first[j]}){src}{dst}$" + render_state(small_first, rods, t))
        return "".join(parts)

    def oracle(self, problem: Problem) -> Trajectory:
        self.parse_prompt(problem.prompt)  # fail early on a malformed problem
        b = TrajectoryBuilder(problem.prompt, self.make_tool())
        # Thoughts: first rods C, B, C, ... bottom up; the last one fixes the header.
        first = None
        while (c := b.read(1)) != "=":
            if c == ")":
                first = "B" if first == "C" else "C"
                b.think(first)
            b.right(1)
        b.think("<" if first == "C" else ">")
        # Walk back left, writing the initial state smallest disk first.
        digits = ""
        while True:
            b.left(1)
            c = b.read(1)
            if c.isdigit():
                digits = c + digits
            elif c == "(":
                b.think(digits + "a")
                digits = ""
            elif c == ":":
                break
        b.answer()
        while (header := b.read(1)) not in HEADERS:
            b.right(1)
        while True:  # the pointer is on the current state's header, just read
            # Scan: past the carry (uppercase) to the first lowercase letter, the disk that moves.
            b.right(1)
            prev, digits = header, ""
            while True:
                c = b.read(1)
                if c.isdigit():
                    digits += c
                elif c in RODS:
                    prev, digits = c, ""
                elif c in ("a", "b", "c"):
                    src = c.upper()
                    dst = _target(header, prev, src)
                    b.output(f"({digits}){src}{dst}$")
                    break
                else:  # past the end: every counter bit is 1, every disk on C
                    return b.finish()
                b.right(1)
            # Rewind to the header.
            while True:
                b.left(1)
                if b.read(1) in HEADERS:
                    break
            # Copy the state with the move applied.
            b.output(header)
            b.right(1)
            prev, carry = header, True
            while True:
                c = b.read(1)
                if c.isdigit():
                    b.output(c)
                elif c in RODS or c in ("a", "b", "c"):
                    rod = c.upper()
                    if carry and c in RODS:
                        out = c.lower()
                    elif carry:
                        out, carry = _target(header, prev, rod), False
                    else:
                        out = c
                    b.output(out)
                    prev = rod
                else:  # "(" of the move record (or [ANS] after the initial state)
                    break
                b.right(1)
            # Step over the move record to the new state's header.
            while True:
                b.right(1)
                if b.read(1) == "$":
                    break
            b.right(1)
            header = b.read(1)

    def check(self, problem: Problem, output: str) -> bool:
        disks = self.parse_prompt(problem.prompt)
        small_first = sorted(disks)
        towers = Towers(disks)
        pos, t = 0, 0
        while pos < len(output):
            m = _ITERATIVE_STEP.match(output, pos)
            if m is None or t >= 2 ** len(disks) - 1:
                return False
            try:
                towers.move(int(m[1]), m[2], m[3])
            except ValueError:
                return False
            t += 1
            if m[4] != render_state(small_first, [towers.rod_of(d) for d in small_first], t):
                return False
            pos = m.end()
        return t == 2 ** len(disks) - 1 and towers.solved()


def _target(header: str, prev: str, rod: str) -> str:
    """Where the moving disk on ``rod`` goes: the smallest disk (``prev`` is the header) to the
    next rod of its cycle; any other to the rod holding neither it nor the disk before it."""
    if prev in HEADERS:
        cycle = HEADERS[header]
        return cycle[(cycle.index(rod) + 1) % 3]
    if prev == rod:
        raise AssertionError("the smaller disks must lie on another rod")
    return next(r for r in RODS if r not in (prev, rod))


_SWAP_BC = str.maketrans("BC", "CB")
_SWAP_AB = str.maketrans("AB", "BA")


class HanoiRecursive(_Hanoi):
    name = "hanoi_recursive"
    description = "hanoi_recursive:(7)(5)(2)= -> moves (d)XY; lists for 1..n disks, two pointers"
    max_length = 16
    train_length = 7  # paper Table 2: recursive Hanoi trained on <= 7 disks
    prefix = "hanoi_recursive:"

    def make_tool(self) -> PointerMemory:
        return PointerMemory(2)

    def render_answer(self, sizes: list[int]) -> str:
        small_first = sorted(sizes)
        return "".join(f"({small_first[j]}){src}{dst}" for j, src, dst in shortest_solution(len(sizes)))

    def oracle(self, problem: Problem) -> Trajectory:
        self.parse_prompt(problem.prompt)
        b = TrajectoryBuilder(problem.prompt, self.make_tool())

        def write(text: str) -> None:
            (b.output if b.answered else b.think)(text)

        while True:  # one level; both pointers at the start of R (the prompt at level 1)
            # Pointer 1: copy R without its last disk (a disk is written once the next is seen).
            entry, wrote = None, False
            while (c := b.read(1)) not in ("|", "="):
                if c == "(":
                    if entry is not None:
                        b.think(f"({entry})")
                        wrote = True
                    entry = ""
                elif c.isdigit():
                    entry += c
                b.right(1)
            end = c
            if wrote:
                b.think("|")
            else:
                b.answer()
            if end == "|":  # copy the previous list, B and C swapped
                b.right(1)
                while (c := b.read(1)) != "#":
                    write(c.translate(_SWAP_BC))
                    b.right(1)
            b.right(1)
            # Pointer 2: the last disk of R moves from A to C, then the list, A and B swapped.
            while (c := b.read(2)) not in ("|", "="):
                if c == "(":
                    entry = ""
                elif c.isdigit():
                    entry += c
                b.right(2)
            write(f"({entry})AC")
            if c == "|":
                b.right(2)
                while (c := b.read(2)) != "#":
                    write(c.translate(_SWAP_AB))
                    b.right(2)
            b.right(2)
            if b.read(2) == "[ANS]":
                return b.finish()
            b.think("#")

    def check(self, problem: Problem, output: str) -> bool:
        disks = self.parse_prompt(problem.prompt)
        if not re.fullmatch(rf"(?:{_MOVE.pattern})*", output):
            return False
        towers, count = Towers(disks), 0
        for m in _MOVE.finditer(output):
            try:
                towers.move(int(m[1]), m[2], m[3])
            except ValueError:
                return False
            count += 1
        return count == 2 ** len(disks) - 1 and towers.solved()
