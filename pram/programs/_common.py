"""Helpers shared by the program library: input validation, integer logarithms, array builders."""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import Any

import numpy as np

from pram.errors import InvalidInput

INT64_MAX = int(np.iinfo(np.int64).max)
INT64_MIN = int(np.iinfo(np.int64).min)


_SHORT = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 3, 8, 8, 8
_SHORT.maxstring, _SHORT.maxlong, _SHORT.maxother = 60, 40, 60


def short(value: Any) -> str:
    """A bounded ``repr`` of an input value for an error message (a 2M-element list shows 8 items and '...').

    Examples
    --------
    >>> short([0] * 2_000_000)
    '[0, 0, 0, 0, 0, 0, 0, 0, ...] (2000000 items)'
    """
    text = _SHORT.repr(value)
    if isinstance(value, list | tuple | dict | str) and len(value) > 8:
        text += f" ({len(value)} {'characters' if isinstance(value, str) else 'items'})"
    return text


def ceil_log2(n: int) -> int:
    """Smallest L >= 0 with 2**L >= n (0 for n <= 1).

    >>> [ceil_log2(n) for n in (0, 1, 2, 3, 4, 5, 1024, 1025)]
    [0, 0, 1, 2, 2, 3, 10, 11]
    """
    return max(n - 1, 0).bit_length()


def pow2_at_least(n: int) -> int:
    """0 for n = 0, else the smallest power of two >= n."""
    return 0 if n <= 0 else 1 << ceil_log2(n)


def is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


class Problems:
    """Collects every problem of an input, then raises one :class:`InvalidInput` listing them all."""

    def __init__(self, program: str) -> None:
        self.program, self.items = program, list[str]()

    def add(self, msg: str) -> None:
        self.items.append(msg)

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:8] + ([f"... and {len(self.items) - 8} more"] if len(self.items) > 8 else [])
            raise InvalidInput(f"invalid {self.program} input: " + "; ".join(shown))


def require_object(obj: Any, keys: tuple[str, ...], program: str) -> dict[str, Any]:
    """``obj`` must be a JSON object with exactly the required ``keys`` (extra keys are reported too)."""
    if not isinstance(obj, dict):
        raise InvalidInput(f"invalid {program} input: expected a JSON object with keys {list(keys)}, "
                           f"got {type(obj).__name__}")
    probs = Problems(program)
    for k in keys:
        if k not in obj:
            probs.add(f"missing key {short(k)}")
    for k in obj:
        if k not in keys:
            probs.add(f"unknown key {short(k)} (expected {list(keys)})")
    probs.raise_if_any()
    return obj


def int_list(value: Any, key: str, probs: Problems, ok: Callable[[int], bool] | None = None,
             what: str = "an int64 integer") -> list[int]:
    """Validate a list of integers; every bad entry is reported (up to the Problems cap)."""
    if not isinstance(value, list):
        probs.add(f"{key!r} must be a list, got {type(value).__name__}")
        return []
    out: list[int] = []
    for i, x in enumerate(value):
        if not is_int(x) or not INT64_MIN <= int(x) <= INT64_MAX or (ok is not None and not ok(int(x))):
            probs.add(f"{key}[{i}] = {short(x)} is not {what}")
        else:
            out.append(int(x))
    return out


def int_value(value: Any, key: str, probs: Problems, lo: int, hi: int) -> int:
    if not is_int(value) or not lo <= int(value) <= hi:
        probs.add(f"{key!r} must be an integer in [{lo}, {hi}], got {short(value)}")
        return lo
    return int(value)


def registers(p: int, k: int) -> np.ndarray:
    """``int64 (p, k)`` zero registers."""
    return np.zeros((p, k), dtype=np.int64)


def i64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.int64)


def check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInput(f"instance size n must be a non-negative int, got {short(n)}")
