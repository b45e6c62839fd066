"""Random decimal numbers for the arithmetic tasks."""

from __future__ import annotations

import numpy as np


def random_number(rng: np.random.Generator, digits: int) -> str:
    """A uniformly random number with exactly ``digits`` digits (no leading zero; 1 digit: 0-9)."""
    if digits == 1:
        return str(int(rng.integers(0, 10)))
    first = int(rng.integers(1, 10))
    rest = rng.integers(0, 10, size=digits - 1)
    return str(first) + "".join(map(str, rest.tolist()))
