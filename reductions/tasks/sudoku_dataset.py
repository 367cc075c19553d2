"""Seeded Sudoku data sets for the learned part of PAPER.md §3.1: 100 hard training puzzles and a test set.

The paper's 100 training puzzles (Kim et al.'s files) cannot be obtained here, so the project generates puzzles
that match their published statistics: a unique solution, 21-25 givens (mean 22.99) and MRV trajectories of
25,022.6 transitions on average (median 24,175; min 19,572; max 38,180).  The procedure is the project's
reconstruction [I]:

* **Unit.**  A *transition* is one AP-MDM step ``x_k -> x_{k+1}``, the paper's unit (its 2,502,258 transitions are
  twice its 1,251,129 remask/unmask pairs).  Each solver event (assign, branch, contradiction; a backtrack with its
  refill counts as two) is one 2-step pair, so ``transitions = 2 (assigns + branches + contradictions) +
  4 backtracks`` -- exactly :attr:`reductions.tasks.sudoku.SudokuTrajectory.steps`.  :func:`mrv_counts` computes
  the same counts without recording states (the tests compare it with :func:`reductions.tasks.sudoku.solve`).
* **Training puzzle i** (its own stream ``SeedSequence([seed, 0, i])``, so puzzles are independent and a run can
  resume): draw a givens target ``G`` from ``TRAIN_GIVENS`` (mean 23) and a length band ``[T, 1.05 T]`` with
  ``T`` uniform on ``TRAIN_TARGET``; carve a random solved grid down to ``G`` givens keeping the solution unique
  (:mod:`reductions.tasks.sudoku_generate`); then hill-climb on the distance of the MRV trajectory length to the
  band.  A move is, with probability 1/2, a symmetry of the grid (swap two digit labels, two rows of a band or two
  columns of a stack: uniqueness and the givens count are kept, while the MRV order changes), otherwise a swap of
  one given for one blank cell filled from the solution (kept only if the puzzle stays unique).  A move is
  accepted when it does not increase the distance; after ``RESTART_AFTER`` moves without reaching the band the
  climb restarts from a new grid.
* **Test puzzle i** (stream ``SeedSequence([seed, 1, i])``): givens uniform on ``TEST_GIVENS``, carved from a
  random solved grid, no hardness filter (disjointness from the training set is checked by the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from reductions.errors import InvalidInstance
from reductions.tasks.sudoku_generate import _carve, count_solutions, random_solution
from reductions.tasks.sudoku_grid import BOX, COL, ROW, format_grid

__all__ = ["PAPER_TRAIN_STATS", "TEST_GIVENS", "TRAIN_GIVENS", "TRAIN_TARGET", "heldout_puzzle", "iter_split",
           "mrv_counts", "split_stats", "train_puzzle", "transitions_of"]

#: the paper's training-set statistics (PAPER.md §3.1; transitions per puzzle)
PAPER_TRAIN_STATS = {"count": 100, "givens_min": 21, "givens_max": 25, "givens_mean": 22.99,
                     "transitions_mean": 25022.6, "transitions_median": 24175, "transitions_min": 19572,
                     "transitions_max": 38180}
#: givens target of a training puzzle and its probabilities (mean 23.0; 21 is rare for carving, hence the weights)
TRAIN_GIVENS = ((21, 22, 23, 24, 25), (0.15, 0.2, 0.3, 0.2, 0.15))
#: range of the lower end T of a training puzzle's band [T, 1.05 T] of transitions
TRAIN_TARGET = (19572, 29000)
#: givens of a test puzzle, uniform (20 givens is too rare for random carving)
TEST_GIVENS = (22, 28)
RESTART_AFTER = 1500
_ROW, _COL, _BOX = ROW.tolist(), COL.tolist(), BOX.tolist()
_POP = [bin(m).count("1") for m in range(512)]


def mrv_counts(grid: list[int], cap: int | None = None) -> tuple[int, int, int, int, bool | None]:
    """``(assigns, branches, contradictions, backtracks, solved)`` of the project's MRV search, without states.

    Same search as :func:`reductions.tasks.sudoku.solve` (true minimum of the candidate counts, first in row-major
    order; candidates tried ascending), in plain Python; ``solved`` is None when the transitions passed ``cap``.

    Examples
    --------
    >>> mrv_counts([0] + [int(c) for c in "34678912672195348198342567859761423426853791713924856961537284287419635"
    ...                                   "345286179"])
    (1, 0, 0, 0, True)
    """
    g = [int(v) for v in grid]
    units = [0] * 27  # rows 0-8, cols 9-17, boxes 18-26
    ru = [(_ROW[i], 9 + _COL[i], 18 + _BOX[i]) for i in range(81)]

    def put(i: int, v: int) -> None:
        g[i] = v
        b = 1 << (v - 1)
        for u in ru[i]:
            units[u] |= b

    for i, v in enumerate(g):
        if v:
            put(i, v)
    stack: list[tuple[int, list[int], int]] = []
    trail: list[int] = []
    a = br = c = bk = 0
    while True:
        best, bi, bm = 10, -1, 0
        for i in range(81):
            if g[i] == 0:
                r, q, x = ru[i]
                m = 511 & ~(units[r] | units[q] | units[x])
                n = _POP[m]
                if n < best:
                    best, bi, bm = n, i, m
                    if n == 0:
                        break
        if best == 10:
            return a, br, c, bk, True
        if cap is not None and 2 * (a + br + c) + 4 * bk > cap:
            return a, br, c, bk, None
        if best == 1:
            put(bi, bm.bit_length())
            trail.append(bi)
            a += 1
        elif best > 1:
            ds = [d for d in range(1, 10) if bm >> (d - 1) & 1]
            stack.append((bi, ds[1:], len(trail)))
            trail.append(bi)
            put(bi, ds[0])
            br += 1
        else:
            c += 1
            if not stack:
                return a, br, c, bk, False
            s, rest, start = stack.pop()
            for k in trail[start:]:
                b = ~(1 << (g[k] - 1))
                for u in ru[k]:
                    units[u] &= b
                g[k] = 0
            del trail[start:]
            bk += 1
            if len(rest) > 1:
                stack.append((s, rest[1:], len(trail)))
            trail.append(s)
            put(s, rest[0])


def transitions_of(grid: list[int], cap: int | None = None) -> int:
    """Transitions (AP-MDM steps, the paper's unit) of the MRV trajectory; more than ``cap`` when capped."""
    a, br, c, bk, _ = mrv_counts(grid, cap)
    return 2 * (a + br + c) + 4 * bk


def _symmetry(g: list[int], sol: list[int], rng: np.random.Generator) -> tuple[list[int], list[int]]:
    kind = int(rng.integers(3))
    gg, ss = np.array(g).reshape(9, 9), np.array(sol).reshape(9, 9)
    if kind == 0:
        d1, d2 = (int(d) + 1 for d in rng.choice(9, 2, replace=False))
        perm = np.arange(10)
        perm[d1], perm[d2] = d2, d1
        gg, ss = perm[gg], perm[ss]
    else:
        base = 3 * int(rng.integers(3))
        i, j = (base + int(k) for k in rng.choice(3, 2, replace=False))
        idx = np.arange(9)
        idx[i], idx[j] = j, i
        gg, ss = (gg[idx], ss[idx]) if kind == 1 else (gg[:, idx], ss[:, idx])
    return [int(v) for v in gg.ravel()], [int(v) for v in ss.ravel()]


def _carved(givens: int, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    while True:
        sol = random_solution(rng)
        g = _carve(sol, givens, rng)
        if g is not None:
            return g, sol


def train_puzzle(seed: int, index: int, *, target: tuple[int, int] = TRAIN_TARGET,
                 max_moves: int = 200_000) -> str:
    """Training puzzle ``index`` of the stream ``seed`` (see the module docstring); an 81-character line.

    Raises :class:`InvalidInstance` for an empty target range or when ``max_moves`` moves do not reach the band.

    Examples
    --------
    >>> p = train_puzzle(0, 0, target=(200, 300))
    >>> 21 <= 81 - p.count(".") <= 25
    True
    """
    if not 0 < target[0] <= target[1]:
        raise InvalidInstance(f"training target range {target} is empty or not positive")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0, index]))
    givens = int(rng.choice(TRAIN_GIVENS[0], p=TRAIN_GIVENS[1]))
    lo = int(rng.integers(target[0], target[1] + 1))
    hi = lo + lo // 20
    cap = 2 * hi

    def dist(s: int) -> int:
        return max(0, lo - s) + max(0, s - hi)

    moves = 0
    while moves < max_moves:
        g, sol = _carved(givens, rng)
        d = dist(transitions_of(g, cap))
        stale = 0
        while d and stale < RESTART_AFTER and moves < max_moves:
            moves += 1
            stale += 1
            if rng.random() < 0.5:
                h, hs = _symmetry(g, sol, rng)
            else:
                h, hs = g.copy(), sol
                giv = [i for i in range(81) if h[i]]
                emp = [i for i in range(81) if not h[i]]
                i, j = giv[int(rng.integers(len(giv)))], emp[int(rng.integers(len(emp)))]
                h[i], h[j] = 0, sol[j]
                if count_solutions(h, limit=2)[0] != 1:
                    continue
            dd = dist(transitions_of(h, cap))
            if dd <= d:
                if dd < d:
                    stale = 0
                g, sol, d = h, hs, dd
        if d == 0:
            return format_grid(g)
    raise InvalidInstance(f"training puzzle {index} (seed {seed}) did not reach its band in {max_moves} moves")


def heldout_puzzle(seed: int, index: int) -> str:
    """Test puzzle ``index`` of the stream ``seed``: givens uniform on ``TEST_GIVENS``, unique solution.

    Examples
    --------
    >>> p = heldout_puzzle(0, 0)
    >>> 22 <= 81 - p.count(".") <= 28
    True
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1, index]))
    givens = int(rng.integers(TEST_GIVENS[0], TEST_GIVENS[1] + 1))
    return format_grid(_carved(givens, rng)[0])


def iter_split(split: str, seed: int, count: int, *, start: int = 0,
               target: tuple[int, int] = TRAIN_TARGET) -> Iterator[str]:
    """Puzzles ``start..count-1`` of a split (each from its own stream, so a resumed run gives the same lines)."""
    make: Callable[[int, int], str]
    if split == "train":
        def make(s: int, i: int) -> str:
            return train_puzzle(s, i, target=target)
    elif split == "test":
        make = heldout_puzzle
    else:
        raise InvalidInstance(f"split must be 'train' or 'test', got {split!r}")
    for i in range(start, count):
        yield make(seed, i)


def split_stats(puzzles: list[str]) -> dict[str, object]:
    """Givens histogram and MRV trajectory lengths in transitions (the paper's unit) and in 2-step pairs."""
    givens = [81 - p.count(".") for p in puzzles]
    steps = sorted(transitions_of([0 if ch == "." else int(ch) for ch in p]) for p in puzzles)
    n = len(steps)
    med = (steps[(n - 1) // 2] + steps[n // 2]) / 2 if n else 0.0
    return {"count": n, "givens_hist": {g: givens.count(g) for g in sorted(set(givens))},
            "givens_mean": sum(givens) / n if n else 0.0,
            "transitions": {"mean": sum(steps) / n if n else 0.0, "median": med,
                            "min": steps[0] if n else 0, "max": steps[-1] if n else 0},
            "pairs": {"mean": sum(steps) / n / 2 if n else 0.0, "median": med / 2,
                      "min": steps[0] // 2 if n else 0, "max": steps[-1] // 2 if n else 0}}
