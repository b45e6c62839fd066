"""Problem: one instance of a task."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One problem instance. ``prompt`` and ``answer`` are plain text; ``meta`` holds whatever
    the task's oracle and checker need (operands, disk sizes, the program...)."""

    task: str
    length: int
    prompt: str
    answer: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
