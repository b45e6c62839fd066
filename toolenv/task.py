"""The Task base class: a problem generator, an oracle and an independent checker."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import ClassVar, Literal

import numpy as np

from toolenv.errors import LengthError
from toolenv.problem import Problem
from toolenv.tools.base import Tool
from toolenv.trajectory import Trajectory

Split = Literal["train", "test"]
SPLIT_IDS: dict[str, int] = {"train": 0, "test": 1}
_MAX_REJECTIONS = 10_000


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class Task(ABC):
    """Subclass this, set the class attributes, implement four methods, and ``register_task`` it.

    - ``name``: registry name (lowercase, ``[a-z0-9_]``); Gymnasium id ``toolenv/<CamelName>-v0``.
    - ``max_length``: largest length ``sample`` accepts; ``default_length`` when none is given.
    - ``train_length``: the paper's training range upper bound for this task (a default, not a limit).
    - ``make_tool()``: a fresh tool for one episode (``None`` for a tool-free task).
    - ``sample(rng, length)``: one problem of exactly this length, from ``rng`` only.
    - ``oracle(problem)``: the interactive trajectory, built with ``TrajectoryBuilder``.
    - ``check(problem, output)``: independent verifier; must never call the oracle.
    - ``problems_of``: another task's name, for a variant with that task's generator and another
      oracle: its seeds and splits are then that task's, so both have the same test sets.

    Train/test disjointness: every prompt belongs to exactly one split, decided by a hash of the
    task name (``problems_of`` if set) and prompt (``test_fraction`` of prompts are test). ``draw`` rejects problems from
    the other split, so the training and evaluation streams can never share a problem.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    min_length: ClassVar[int] = 1
    max_length: ClassVar[int] = 100_000
    default_length: ClassVar[int] = 5
    train_length: ClassVar[int] = 5
    test_fraction: ClassVar[float] = 0.2
    problems_of: ClassVar[str | None] = None

    # -- to implement ------------------------------------------------------------------------
    @abstractmethod
    def make_tool(self) -> Tool | None: ...

    @abstractmethod
    def sample(self, rng: np.random.Generator, length: int) -> Problem: ...

    @abstractmethod
    def oracle(self, problem: Problem) -> Trajectory: ...

    @abstractmethod
    def check(self, problem: Problem, output: str) -> bool: ...

    # -- overridable defaults ----------------------------------------------------------------
    def sample_train(self, rng: np.random.Generator, max_length: int) -> Problem:
        """One training problem for the range ``min_length..max_length`` (uniform length)."""
        self.check_length(max_length)
        return self.sample(rng, int(rng.integers(self.min_length, max_length + 1)))

    def step_limit(self, n_actions: int) -> int:
        """Env truncation limit for an episode whose oracle emits ``n_actions`` tokens."""
        return 2 * n_actions + 64

    # -- provided ----------------------------------------------------------------------------
    @property
    def tool_spec(self) -> str:
        tool = self.make_tool()
        return "none" if tool is None else tool.spec

    def check_length(self, length: int) -> None:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
            raise LengthError(f"{self.name}: length must be an integer, got {length!r}")
        if not self.min_length <= length <= self.max_length:
            raise LengthError(
                f"{self.name}: length {length} outside the supported range [{self.min_length}, {self.max_length}]"
            )

    def split_of(self, problem: Problem) -> Split:
        """Which split a problem belongs to (a pure function of the task name and prompt)."""
        h = _stable_int(f"{self.problems_of or self.name}\x00{problem.prompt}") % 1_000_000
        return "test" if h < self.test_fraction * 1_000_000 else "train"

    def draw(self, rng: np.random.Generator, length: int, split: Split, *, train_range: bool = False) -> Problem:
        """A problem of ``split`` from ``rng``: ``sample`` (or ``sample_train`` with
        ``train_range``, where ``length`` is the range's top) with rejection of the other split."""
        if split not in SPLIT_IDS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.check_length(length)
        for _ in range(_MAX_REJECTIONS):
            p = self.sample_train(rng, length) if train_range else self.sample(rng, length)
            if self.split_of(p) == split:
                return p
        raise LengthError(f"{self.name}: found no {split} problem at length {length} in {_MAX_REJECTIONS} draws")

    def rng(self, split: Split, length: int, index: int, seed: int = 0) -> np.random.Generator:
        """The generator of problem ``index``: SeedSequence([task, split, length, index, seed])."""
        return np.random.default_rng(
            np.random.SeedSequence([_stable_int(self.problems_of or self.name), SPLIT_IDS[split], int(length), int(index), int(seed)])
        )

    def problem(self, split: Split, length: int, index: int, seed: int = 0) -> Problem:
        """Problem ``index`` of the fixed ``split`` set at ``length`` (test) or up to ``length``
        (train, via ``sample_train``). Same arguments, same problem, on every machine."""
        self.check_length(length)
        return self.draw(self.rng(split, length, index, seed), length, split, train_range=split == "train")

    def __repr__(self) -> str:
        return f"<Task {self.name} tool={self.tool_spec}>"
