"""The Sudoku search as a predictor: the next AP-MDM step as a pure function of the 324-token sequence.

:func:`reductions.tasks.sudoku.solve` records the trajectory from the solver's own state.  This module shows that
the sequence alone determines every step (so the process is learnable by an ``f_theta``), by reading the phase and
the search stack off the tokens:

* open branches = cells whose marker is ``[BRANCH]``; their number is the depth ``D``; the top branch is the one
  coloured ``colour(D)``, and the cells filled since it are exactly the cells of that colour;
* the failed digit of a backtracked branch sits in its marker slot (``M M old``); candidates are tried in
  ascending order and the grid is restored to the branch-time grid, so the next value is the smallest candidate
  above ``old``.

Limit (inherited from the official 15-colour scheme, PAPER.md §3.1): colours repeat after depth 15, so at a
backtrack with more than 15 open branches the top branch's cells are ambiguous and the sequence no longer determines
the step.  :func:`sudoku_predictor` raises :class:`~reductions.errors.UnsupportedProgram` there; the recorded
trajectory of :func:`~reductions.tasks.sudoku.solve` is unaffected.  (No puzzle in the shipped famous list exceeds
depth 12.)
"""

from __future__ import annotations

import numpy as np

from machines.predictor import Prediction
from reductions.errors import UnsupportedProgram
from reductions.tasks.sudoku_grid import (
    BRANCH,
    EMPTY,
    MASK,
    N_COLOURS,
    NORMAL,
    POPCOUNT,
    SKULL,
    WHITE,
    candidate_masks,
    colour_token,
)

__all__ = ["sudoku_predictor"]


def _digits(mask: int, above: int = 0) -> list[int]:
    return [d for d in range(above + 1, 10) if mask >> (d - 1) & 1]


def sudoku_predictor(x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
    """Next step of the MRV search read off ``x`` (a bool ``remask``, no insert/delete; ``rng`` is unused).

    Examples
    --------
    >>> from reductions.tasks.sudoku import encode_grid, solve
    >>> from reductions.tasks.sudoku_grid import parse_puzzle
    >>> t = solve("1" + "." * 80)
    >>> p = sudoku_predictor(t.states[0])
    >>> np.flatnonzero(p.remask).tolist() == np.flatnonzero(t.remask[0]).tolist()
    True

    Notes
    -----
    O(81) numpy work per call.  Serves PAPER.md §3.1 (learnability of the process) and Theorem 4.
    """
    xa = np.asarray(x, dtype=np.int64)
    cells = xa.reshape(81, 4)
    val, col, mark = cells[:, 0], cells[:, 1], cells[:, 2]
    y = xa.copy().reshape(81, 4)
    r = np.zeros((81, 4), dtype=np.bool_)
    vm, cm, mm = val == MASK, col == MASK, mark == MASK
    full = np.flatnonzero(vm & cm & mm)
    part = np.flatnonzero(~vm & ~cm & mm)  # [v c M]
    head = np.flatnonzero(vm & cm & ~mm)  # [M M old]
    grid = np.where((val >= 1) & (val <= 9), val, 0)
    depth = int((mark == BRANCH).sum())

    def out() -> Prediction:  # a bool remask; no insert/delete vectors (None = all zeros)
        return Prediction(y=y.reshape(-1), remask=r.reshape(-1))

    if full.size and part.size:  # backtrack, step 2
        y[full, 0], y[full, 1], y[full, 2] = EMPTY, WHITE, NORMAL
        s = int(part[0])
        r[s, 0] = r[s, 1] = True
        y[s, 2] = val[s]
        return out()
    if full.size:  # step 2 of assign / branch / contradiction
        i = int(full[0])
        ds = _digits(int(candidate_masks(grid)[i]))
        if not ds:
            y[i, :3] = (EMPTY, colour_token(depth), SKULL)
        elif len(ds) == 1:
            y[i, :3] = (ds[0], colour_token(depth), NORMAL)
        else:
            y[i, :3] = (ds[0], colour_token(depth + 1), BRANCH)
        return out()
    if head.size:  # refill, step 1: the next candidate above the failed digit
        s = int(head[0])
        ds = _digits(int(candidate_masks(grid)[s]), above=int(mark[s]))
        y[s, 0] = ds[0]
        y[s, 1] = colour_token(depth + 1) if len(ds) > 1 else colour_token(depth)
        r[s, 2] = True
        return out()
    if part.size:  # refill, step 2
        s = int(part[0])
        grid[s] = 0
        more = _digits(int(candidate_masks(grid)[s]), above=int(val[s]))
        y[s, 2] = BRANCH if more else NORMAL
        return out()
    if (mark == SKULL).any():  # backtrack, step 1 (or the end of an exhausted search)
        if depth == 0:
            return out()
        if depth > N_COLOURS:
            raise UnsupportedProgram(f"{depth} open branches: colours repeat after {N_COLOURS}, so the top branch's "
                                     "cells cannot be read off the sequence")
        top = colour_token(depth)
        s = int(np.flatnonzero((mark == BRANCH) & (col == top))[0])
        clear = np.flatnonzero(col == top)
        clear = clear[clear != s]
        r[clear, :3] = True
        r[s, 2] = True
        return out()
    cand = candidate_masks(grid)
    cnt = np.where(grid == 0, POPCOUNT[cand], 10)
    i = int(np.argmin(cnt))
    if cnt[i] < 10:  # remask the MRV cell (step 1 of its event); a solved grid is a fixed point
        r[i, :3] = True
    return out()
