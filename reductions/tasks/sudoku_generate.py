"""Seeded generator of unique-solution Sudoku puzzles at a chosen difficulty, and a plain solution counter.

Difficulty has two knobs: the number of givens, and the number of backtracks the MRV search of
:mod:`reductions.tasks.sudoku` needs (a ``[lo, hi]`` window).  Method (the project's; the paper's 100 training
puzzles come from Kim et al.'s data set, PAPER.md §3.1):

1. a random solved grid by randomised depth-first filling;
2. cells are removed in a random order, a removal kept only if the puzzle stays unique (no solution gives that cell
   another digit), until ``givens`` remain;
3. the candidate is kept if its backtrack count is in the window, otherwise a new attempt starts.

The counter :func:`count_solutions` is a plain-Python bitmask depth-first search (independent of the numpy search);
it serves uniqueness and the tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pram.rng import SeedLike, as_generator
from reductions.errors import InvalidInstance
from reductions.tasks.sudoku_grid import BOX, COL, ROW, format_grid

__all__ = ["MIN_GIVENS", "count_solutions", "generate_puzzle", "generate_puzzles", "random_solution"]

MIN_GIVENS = 17
_ROW = ROW.tolist()
_COL = COL.tolist()
_BOX = BOX.tolist()
_BITS = [1 << d for d in range(9)]
_POP = [bin(m).count("1") for m in range(512)]


def _units(g: list[int]) -> tuple[list[int], list[int], list[int]] | None:
    rows, cols, boxes = [0] * 9, [0] * 9, [0] * 9
    for i, v in enumerate(g):
        if v:
            b = 1 << (v - 1)
            if (rows[_ROW[i]] | cols[_COL[i]] | boxes[_BOX[i]]) & b:
                return None
            rows[_ROW[i]] |= b
            cols[_COL[i]] |= b
            boxes[_BOX[i]] |= b
    return rows, cols, boxes


def count_solutions(grid: list[int] | np.ndarray, *, limit: int = 2, forbid: tuple[int, int] | None = None,
                    order: list[int] | None = None) -> tuple[int, list[int] | None]:
    """Count solutions up to ``limit``; return ``(count, first solution)``.

    ``forbid=(cell, digit)`` excludes that digit at that blank cell; ``order`` (a permutation of 1..9) sets the
    digit order tried (randomised filling).

    Examples
    --------
    >>> count_solutions([0] * 81)[0]
    2
    >>> count_solutions([1, 1] + [0] * 79)
    (0, None)

    Notes
    -----
    Depth-first search with the minimum-remaining-values rule over 9-bit masks, plain Python.
    """
    g = [int(v) for v in grid]
    u = _units(g)
    if u is None:
        return 0, None
    rows, cols, boxes = u
    empties = [i for i in range(81) if g[i] == 0]
    digits = order if order is not None else list(range(1, 10))
    found: list[list[int]] = []
    count = 0

    def rec(empties: list[int]) -> bool:  # returns True to stop
        nonlocal count
        if not empties:
            count += 1
            if not found:
                found.append(g.copy())
            return count >= limit
        best, best_i, best_m = 10, -1, 0
        for k, i in enumerate(empties):
            m = 511 & ~(rows[_ROW[i]] | cols[_COL[i]] | boxes[_BOX[i]])
            if forbid is not None and i == forbid[0]:
                m &= ~(1 << (forbid[1] - 1))
            p = _POP[m]
            if p < best:
                best, best_i, best_m = p, k, m
                if p <= 1:
                    break
        if best == 0:
            return False
        i = empties[best_i]
        rest = empties[:best_i] + empties[best_i + 1:]
        r, c, b = _ROW[i], _COL[i], _BOX[i]
        for d in digits:
            bit = 1 << (d - 1)
            if best_m & bit:
                g[i] = d
                rows[r] |= bit
                cols[c] |= bit
                boxes[b] |= bit
                stop = rec(rest)
                rows[r] &= ~bit
                cols[c] &= ~bit
                boxes[b] &= ~bit
                g[i] = 0
                if stop:
                    return True
        return False

    rec(empties)
    return count, (found[0] if found else None)


def random_solution(seed: SeedLike = 0) -> list[int]:
    """A uniformly shuffled solved grid (randomised digit order and cell relabelling).

    Examples
    --------
    >>> len(set(random_solution(1)[:9]))
    9
    """
    rng = as_generator(seed)
    order = [int(d) for d in rng.permutation(9) + 1]
    first = [0] * 81
    first[:9] = order  # a random first row, then a depth-first fill in a random digit order
    _, sol = count_solutions(first, limit=1, order=[int(d) for d in rng.permutation(9) + 1])
    assert sol is not None
    return sol


def _carve(sol: list[int], givens: int, rng: np.random.Generator) -> list[int] | None:
    g = sol.copy()
    left = 81
    for i in rng.permutation(81).tolist():
        if left == givens:
            break
        v = g[i]
        g[i] = 0
        if count_solutions(g, limit=1, forbid=(i, v))[0]:
            g[i] = v  # removing it would allow another solution
        else:
            left -= 1
    return g if left == givens else None


def generate_puzzle(*, givens: int, seed: SeedLike = 0, min_backtracks: int = 0, max_backtracks: int | None = None,
                    max_attempts: int = 200) -> str:
    """One unique-solution puzzle with exactly ``givens`` givens and a backtrack count in the window.

    Raises :class:`InvalidInstance` for an impossible request (givens outside 17..81, an empty window) or when
    ``max_attempts`` attempts all fail (the message says what to relax).

    Examples
    --------
    >>> p = generate_puzzle(givens=40, seed=3)
    >>> len(p), 81 - p.count(".")
    (81, 40)

    Notes
    -----
    Each removal costs one depth-first search; about (81 - givens) searches per attempt.
    """
    problems = []
    if not MIN_GIVENS <= givens <= 81:
        problems.append(f"givens must be in {MIN_GIVENS}..81 (no 9x9 puzzle with fewer than 17 givens has a unique "
                        f"solution), got {givens}")
    if min_backtracks < 0 or (max_backtracks is not None and max_backtracks < min_backtracks):
        problems.append(f"backtrack window [{min_backtracks}, {max_backtracks}] is empty")
    if max_attempts < 1:
        problems.append(f"max_attempts must be >= 1, got {max_attempts}")
    if problems:
        raise InvalidInstance("impossible puzzle request: " + "; ".join(problems))
    from reductions.tasks.sudoku import solve

    rng = as_generator(seed)
    for _ in range(max_attempts):
        g = _carve(random_solution(rng), givens, rng)
        if g is None:
            continue
        if min_backtracks > 0 or max_backtracks is not None:
            b = solve(np.array(g, dtype=np.int8)).counts.backtracks
            if b < min_backtracks or (max_backtracks is not None and b > max_backtracks):
                continue
        return format_grid(g)
    window = ("" if min_backtracks == 0 and max_backtracks is None else
              f" and at least {min_backtracks} backtracks" if max_backtracks is None else
              f" and {min_backtracks}..{max_backtracks} backtracks")
    raise InvalidInstance(f"no unique-solution puzzle with {givens} givens{window} found in {max_attempts} attempts "
                          "(random carving rarely reaches fewer than about 22 givens); use more givens"
                          + (" or a wider backtrack window" if window else ""))


def generate_puzzles(count: int, *, givens: int, seed: SeedLike = 0, min_backtracks: int = 0,
                     max_backtracks: int | None = None, max_attempts: int = 200) -> Iterator[str]:
    """``count`` puzzles from one seeded stream (same seed -> same list)."""
    rng = as_generator(seed)
    for _ in range(count):
        yield generate_puzzle(givens=givens, seed=rng, min_backtracks=min_backtracks, max_backtracks=max_backtracks,
                              max_attempts=max_attempts)
