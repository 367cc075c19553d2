"""Independent runs on several processes, with results identical to a serial run (``--workers N``).

A command whose work is a list of independent items (one training seed, one sweep point) hands the list and a
module-level function to :func:`map_items`.  Each item carries its own seed, so an item's result does not depend on
which process computes it or in what order; results come back in the order of the items, so the output is
byte-identical for every ``N`` (a test runs ``--workers 1`` and ``--workers 2`` and compares the bytes).

Processes, not threads: the work is numpy and Python, and a thread pool would serialise on the interpreter lock.
"""

from __future__ import annotations

import argparse
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

__all__ = ["MAX_WORKERS", "add_workers_flag", "map_items"]

T = TypeVar("T")
R = TypeVar("R")

#: Refused above this (a typo such as ``--workers 200`` would otherwise fork that many processes).
MAX_WORKERS = 64


def map_items(fn: Callable[[T], R], items: Iterable[T], workers: int = 1, *,
              cost: Callable[[T], float] | None = None) -> Iterator[R]:
    """``fn(item)`` for every item, in the items' order, on ``workers`` processes (``1``: in this process).

    ``fn`` must be picklable (a module-level function or a :func:`functools.partial` of one) and must depend on
    nothing but its argument (seed per item, never per worker).  ``cost`` (evaluated here, never pickled) estimates
    an item's work: the processes start the costliest items first (longest first, so one big item does not start
    last), and the results still come back in the items' order.

    Examples
    --------
    >>> list(map_items(abs, [-2, 3, -4], workers=1))
    [2, 3, 4]

    Notes
    -----
    With ``workers > 1`` the results are yielded as soon as the next one in order is ready; wall time is about
    ``max(total / workers, longest item)``.
    """
    seq = list(items)
    if workers <= 1 or len(seq) <= 1:
        yield from (fn(item) for item in seq)
        return
    ctx = multiprocessing.get_context("spawn" if "fork" not in multiprocessing.get_all_start_methods() else "fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(seq)), mp_context=ctx) as pool:
        if cost is None:
            yield from pool.map(fn, seq)
            return
        first = sorted(range(len(seq)), key=lambda i: -cost(seq[i]))  # stable: equal costs keep their order
        futures = {i: pool.submit(fn, seq[i]) for i in first}
        for i in range(len(seq)):
            yield futures.pop(i).result()


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers wants a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"--workers must be in 1..{MAX_WORKERS}, got {value}")
    return value


def add_workers_flag(p: argparse.ArgumentParser) -> None:
    """``--workers N`` (default 1): processes for the independent items; the output is the same for every N."""
    p.add_argument("--workers", type=_workers, default=1, metavar="N",
                   help="processes for the independent runs (default 1); the output is identical for any N")
