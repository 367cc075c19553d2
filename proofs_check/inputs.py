"""The CLI's one input layer: strict integers, bounded JSON, sizes and costs checked before any work, short messages.

Every command reads its numeric flags through :func:`int_type` (or :func:`nonneg_int` / :func:`pos_int`), its JSON
files through :func:`load_json_file`, and checks each size or cost against its cap with :func:`check_cap` *before*
it allocates or runs anything; :func:`one_line` bounds every message the CLI prints (``proofs_check.cli`` applies it
centrally, and :func:`short` bounds a value shown inside a message).

Choices the paper does not fix (the project's reconstruction [I]):

* an integer flag is ASCII digits with an optional leading ``-`` where negatives make sense: no spaces, no ``+``, no
  ``_`` separators, no non-ASCII digits (``int()`` accepts all four);
* a refusal names the limit and the flag of *this* command that raises it, or says the limit is fixed;
* a message is one line of at most :data:`MESSAGE_WIDTH` characters; a longer value is cut with an ellipsis and
  its total size.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from machines.io import JSON_MAX_BYTES, JSON_MAX_DEPTH, JsonInputError, read_json_bounded
from proofs_check.errors import InputFileError, UsageError

__all__ = ["DEFAULT_MAX_SECONDS", "MESSAGE_WIDTH", "CapExceeded", "add_time_flag", "check_cap", "check_seconds",
           "int_type", "load_json_file", "nonneg_int", "one_line", "pos_int", "short", "strict_int"]

#: the longest message line the CLI prints (characters)
MESSAGE_WIDTH = 600
#: the longest shown value inside a message (characters)
VALUE_WIDTH = 80
#: decimal digits of an integer flag (no cap of ours is near 10**30; this bounds int() work and message size)
MAX_DIGITS = 30

_INT = re.compile(r"-?[0-9]+\Z", re.ASCII)
_NONNEG = re.compile(r"[0-9]+\Z", re.ASCII)


class CapExceeded(UsageError):
    """A requested size or estimated cost is above its cap; refused before any work (exit 2)."""

    def __init__(self, *, quantity: str, needed: int | float, limit: int | float, flag: str | None) -> None:
        self.quantity, self.needed, self.limit, self.flag = quantity, needed, limit, flag
        how = f"raise it with {flag}" if flag else "this limit is fixed"
        super().__init__(f"{quantity} would be {_num(needed)}, above the limit {_num(limit)}; {how}")


def _num(x: int | float) -> str:
    return str(x) if isinstance(x, int) else f"{x:.3g}"


def short(value: Any, width: int = VALUE_WIDTH) -> str:
    """``repr(value)`` cut to ``width`` characters with an ellipsis and the total size; never builds a huge string.

    Examples
    --------
    >>> short("x" * 1000, 20)
    "'xxxxxxxxxxxxxxxxxxx... (1002 characters)"
    >>> short(list(range(10**6)), 20)
    '[0, 1, 2, 3, 4, 5, 6... (a list of 1000000 items)'
    """
    if isinstance(value, list | tuple | dict | set | frozenset) and len(value) > width:
        head = list(value)[:width] if not isinstance(value, dict) else dict(list(value.items())[:width])
        return repr(head)[:width] + f"... (a {type(value).__name__} of {len(value)} items)"
    if isinstance(value, str | bytes) and len(value) > 4 * width:
        return repr(value[:width])[:width] + f"... ({len(value) + 2} characters)"
    text = repr(value)
    return text if len(text) <= width else text[:width] + f"... ({len(text)} characters)"


def one_line(message: str, width: int = MESSAGE_WIDTH) -> str:
    """``message`` on one line (newlines and control characters shown as spaces) of at most about ``width`` chars.

    Examples
    --------
    >>> one_line("a\\nb")
    'a b'
    >>> len(one_line("y" * 10**6)) < 640
    True
    """
    total = len(message)
    if total > 4 * width:
        message = message[:2 * width]
    flat = "".join(" " if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) else c for c in message)
    if len(flat) <= width and total == len(message):
        return flat
    return flat[:width] + f"... ({total} characters in all)"


def strict_int(text: str, *, lo: int | None = None, hi: int | None = None, negative: bool = False) -> int:
    """Parse ``text`` as ASCII digits (a leading ``-`` only with ``negative``) within ``lo..hi``.

    Raises ``argparse.ArgumentTypeError`` (argparse turns it into a one-line usage error).

    Examples
    --------
    >>> strict_int("42"), strict_int("-3", negative=True)
    (42, -3)
    >>> for bad in (" 5", "\\u0663", "5_0", "+7", "-1", ""):
    ...     try:
    ...         strict_int(bad)
    ...     except argparse.ArgumentTypeError:
    ...         pass
    ...     else:
    ...         print("accepted", repr(bad))
    """
    kind = "an integer" if negative else "a non-negative integer"
    if lo is not None and lo >= 1:
        kind = "a positive integer"
    pattern = _INT if negative else _NONNEG
    if not isinstance(text, str) or not pattern.match(text) or len(text) > MAX_DIGITS + 1:
        raise argparse.ArgumentTypeError(f"expected {kind} (ASCII digits{', optional -' if negative else ''}), "
                                         f"got {short(text, 40)}")
    value = int(text)
    if lo is not None and value < lo or hi is not None and value > hi:
        rng = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        raise argparse.ArgumentTypeError(f"expected an integer in {rng}, got {value}")
    return value


def int_type(*, lo: int | None = None, hi: int | None = None, negative: bool = False) -> Callable[[str], int]:
    """An argparse ``type=`` for :func:`strict_int` with these bounds (named for argparse's messages)."""

    def parse(text: str) -> int:
        return strict_int(text, lo=lo, hi=hi, negative=negative)

    parse.__name__ = "integer"
    return parse


def nonneg_int(text: str) -> int:
    """argparse type: an integer >= 0, ASCII digits only."""
    return strict_int(text, lo=0)


def pos_int(text: str) -> int:
    """argparse type: an integer >= 1, ASCII digits only."""
    return strict_int(text, lo=1)


def check_cap(quantity: str, needed: int | float, limit: int | float, flag: str | None) -> None:
    """Refuse (:class:`CapExceeded`) when ``needed > limit``; ``flag`` is the flag that raises the limit, if any.

    Call it with the size or cost *estimated* from the arguments, before anything is allocated or run.
    """
    if needed > limit:
        raise CapExceeded(quantity=quantity, needed=needed, limit=limit, flag=flag)


def load_json_file(path: str, *, max_bytes: int = JSON_MAX_BYTES, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Read a JSON input file under the size and depth limits; every failure is one :class:`InputFileError`."""
    try:
        return read_json_bounded(path, what=short(path, 60) if len(path) > 60 else path, max_bytes=max_bytes,
                                 max_depth=max_depth)
    except JsonInputError as exc:
        raise InputFileError(str(exc)) from None


#: hard ceilings of the neural commands' numeric flags (eval, seeds, train): beyond them memory or time is out of
#: reach on any machine this project targets
MAX_EVAL_LENGTH = 100_000
MAX_EVAL_COUNT = 10_000
MAX_EVAL_LETTERS = 1_000_000
MAX_TRAIN_STEPS = 1_000_000

#: default ``--max-seconds``: the estimated run time a command accepts without being asked
DEFAULT_MAX_SECONDS = 60


def add_time_flag(p: argparse.ArgumentParser) -> None:
    """Add ``--max-seconds S``: refuse, before any work, a run whose estimated time is above ``S``."""
    p.add_argument("--max-seconds", type=int_type(lo=1, hi=10**6), default=DEFAULT_MAX_SECONDS, metavar="S",
                   help="refuse runs estimated to take longer than S seconds on a typical laptop core "
                        f"(default {DEFAULT_MAX_SECONDS}; the estimate is conservative)")


def check_seconds(args: argparse.Namespace, estimate: float, what: str) -> None:
    """Refuse ``what`` when its estimated run time is above ``args.max_seconds``; nothing has been run yet.

    Estimates are closed forms in the sizes with rates measured on the project's reference machine
    (the project's reconstruction [I]); they err on the slow side.
    """
    limit = getattr(args, "max_seconds", DEFAULT_MAX_SECONDS)
    if estimate > limit:
        raise CapExceeded(quantity=f"the estimated run time of {what}, in seconds,", needed=round(estimate, 1),
                          limit=limit, flag="--max-seconds" if hasattr(args, "max_seconds") else None)
