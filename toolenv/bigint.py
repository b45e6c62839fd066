"""Decimal conversion of arbitrarily large integers.

Python caps int<->str conversion at 4,300 digits by default (``sys.set_int_max_str_digits``);
checkers of 10,000-digit problems need more. These helpers lift the cap for one call only.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def _unlimited():
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        yield
        return
    old = get()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def to_int(text: str) -> int:
    """Parse a string of decimal digits (no sign, no spaces); ValueError otherwise."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"not a decimal number: {text[:40]!r}")
    with _unlimited():
        return int(text)


def to_str(n: int) -> str:
    with _unlimited():
        return str(n)


def canonical(text: str) -> bool:
    """True for a decimal number without leading zeros ("0" itself is canonical)."""
    return text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")
