"""Shared by the arithmetic tasks: random decimal numbers, and the two-pointer column sum."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toolenv.builder import TrajectoryBuilder


def random_number(rng: np.random.Generator, digits: int) -> str:
    """A uniformly random number with exactly ``digits`` digits (no leading zero; 1 digit: 0-9)."""
    if digits == 1:
        return str(int(rng.integers(0, 10)))
    first = int(rng.integers(1, 10))
    rest = rng.integers(0, 10, size=digits - 1)
    return str(first) + "".join(map(str, rest.tolist()))


def column_sum(b: TrajectoryBuilder, advance: Callable[[int], None]) -> None:
    """Add two digit rows under pointers 1 and 2, column by column: each running pointer reads a
    digit (a non-digit stops it for good), the thought is the (carry, digit) pair of the column
    sum, then ``advance(k)`` moves each running pointer to its next digit; when both have
    stopped, a last carry is written as ``01``."""
    carry, running = 0, {1: True, 2: True}
    while True:
        total = carry
        for k in (1, 2):
            if running[k]:
                c = b.read(k)
                if c.isdigit():
                    total += int(c)
                else:
                    running[k] = False
        if not (running[1] or running[2]):
            break
        carry = total // 10
        b.think(f"{carry}{total % 10}")
        for k in (1, 2):
            if running[k]:
                advance(k)
    if carry:
        b.think("01")
