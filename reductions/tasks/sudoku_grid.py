"""Sudoku grids: the token vocabulary of PAPER.md §3.1, puzzle I/O, candidate bitmasks and an independent validator.

A puzzle is 81 characters in row-major order, a digit ``1-9`` for a given and ``0`` or ``.`` for a blank.  Inside
the package a grid is a ``numpy.int8`` array of shape ``(81,)`` with ``0`` for a blank.

The token vocabulary follows the official code's ids (PAPER.md §3.1): ``[EMPTY]`` 0, digits 1-9, ``[MASK]`` 10,
``[WHITE]`` 11, ``[C1]..[C15]`` 12-26 (branch colours), ``[NORMAL]`` 27, ``[SKULL]`` 28, ``[BRANCH]`` 29, ``[SEP]`` 30
and ``[EOS]`` 31 (declared, never emitted).  Each cell is four tokens ``value colour marker SEP`` (the code's layout;
the paper's prose says three), so a grid is always 324 tokens.

The validator :func:`solution_problems` shares no code with the search: it checks rows, columns and boxes by plain
Python set comparison, and that every given is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from machines.vocab import Vocabulary
from reductions.errors import InvalidInstance

__all__ = [
    "BOX", "CELL_TOKENS", "COL", "CONTEXT", "EMPTY", "FAMOUS_FILE", "MASK", "NORMAL", "ROW", "SEP", "SKULL",
    "BRANCH", "WHITE", "SUDOKU_VOCAB", "candidate_masks", "candidate_masks_reference", "colour_token", "conflicts",
    "famous_puzzles", "format_grid", "parse_puzzle", "read_puzzle_file", "solution_problems",
]

EMPTY, MASK, WHITE, NORMAL, SKULL, BRANCH, SEP, EOS = 0, 10, 11, 27, 28, 29, 30, 31
N_COLOURS = 15
CELL_TOKENS = 4
CONTEXT = 81 * CELL_TOKENS

SUDOKU_VOCAB = Vocabulary(
    tokens=("[EMPTY]", *(str(d) for d in range(1, 10)), "[MASK]", "[WHITE]",
            *(f"[C{k}]" for k in range(1, N_COLOURS + 1)), "[NORMAL]", "[SKULL]", "[BRANCH]", "[SEP]", "[EOS]"),
    mask="[MASK]", eos="[EOS]")

_CELLS = np.arange(81)
ROW = _CELLS // 9
COL = _CELLS % 9
BOX = (ROW // 3) * 3 + COL // 3
POPCOUNT = np.array([bin(m).count("1") for m in range(512)], dtype=np.int8)
FULL = 511
FAMOUS_FILE = Path(__file__).with_name("data") / "sudoku_famous.txt"


def colour_token(depth: int) -> int:
    """Colour token of a cell filled at branch depth ``depth``: WHITE at depth 0, else ``[C((depth-1) mod 15 + 1)]``.

    Examples
    --------
    >>> colour_token(0), colour_token(1), colour_token(15), colour_token(16)
    (11, 12, 26, 12)
    """
    return WHITE if depth == 0 else WHITE + 1 + (depth - 1) % N_COLOURS


def parse_puzzle(text: str) -> np.ndarray:
    """Parse an 81-character puzzle; report every problem at once as :class:`InvalidInstance`.

    Problems: wrong length, a symbol other than ``0-9`` or ``.``, givens that already conflict.

    Examples
    --------
    >>> parse_puzzle("1" + "." * 80)[:3].tolist()
    [1, 0, 0]
    >>> parse_puzzle("11" + "0" * 79)
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: invalid puzzle: givens conflict: 1 at r1c1 and r1c2 (row 1)

    Notes
    -----
    O(81).  Serves the Sudoku experiment (PAPER.md §3.1).
    """
    if not isinstance(text, str):
        raise InvalidInstance(f"a puzzle must be a string, got {type(text).__name__}")
    s = text.strip()
    problems = []
    if len(s) != 81:
        problems.append(f"length is {len(s)}, expected 81")
    bad = [(i, ch) for i, ch in enumerate(s) if ch not in "0123456789."]
    if bad:
        shown = ", ".join(f"{ch!r} at {i + 1}" for i, ch in bad[:5]) + (" ..." if len(bad) > 5 else "")
        problems.append(f"{len(bad)} symbol(s) that are not digits or '.': {shown}")
    grid = np.array([int(ch) if ch in "123456789" else 0 for ch in s], dtype=np.int8)
    clash = conflicts(grid) if len(s) == 81 else []
    if clash:
        problems.append("givens conflict: " + "; ".join(clash[:5]) + (" ..." if len(clash) > 5 else ""))
    if problems:
        raise InvalidInstance("invalid puzzle: " + "; ".join(problems))
    return grid


def conflicts(grid: np.ndarray | Iterable[int]) -> list[str]:
    """Pairs of equal givens in one row, column or box, each reported once (plain Python)."""
    g = [int(v) for v in grid]
    out = []
    for i in range(81):
        for j in range(i + 1, 81):
            if g[i] and g[i] == g[j]:
                unit = ("row", ROW[i] + 1) if ROW[i] == ROW[j] else ("column", COL[i] + 1) if COL[i] == COL[j] \
                    else ("box", BOX[i] + 1) if BOX[i] == BOX[j] else None
                if unit is not None:
                    out.append(f"{g[i]} at {_rc(i)} and {_rc(j)} ({unit[0]} {unit[1]})")
    return out


def _rc(i: int) -> str:
    return f"r{i // 9 + 1}c{i % 9 + 1}"


def format_grid(grid: np.ndarray | Iterable[int], blank: str = ".") -> str:
    """81-character string of a grid (blanks as ``blank``).

    Examples
    --------
    >>> format_grid([0, 5] + [0] * 79)[:3]
    '.5.'
    """
    return "".join(blank if int(v) == 0 else str(int(v)) for v in grid)


def read_puzzle_file(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """Read one puzzle per line: ``PUZZLE [label...]``; blank lines and ``#`` comments are skipped.

    Returns ``(label, grid)`` pairs (label defaults to ``line N``); every malformed line is reported at once.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInstance(f"cannot read puzzle file {path}: {exc}") from None
    out, problems = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split(maxsplit=1)
        try:
            grid = parse_puzzle(fields[0])
        except InvalidInstance as exc:
            problems.append(f"line {n}: {exc}")
            continue
        out.append((fields[1] if len(fields) > 1 else f"line {n}", grid))
    if problems:
        raise InvalidInstance(f"{path}: " + " | ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""))
    return out


def famous_puzzles() -> list[tuple[str, np.ndarray]]:
    """The famous hard puzzles of ``reductions/tasks/data/sudoku_famous.txt`` as ``(label, grid)`` pairs.

    Examples
    --------
    >>> famous_puzzles()[1][0]
    'AI Escargot (Arto Inkala 2006)'
    """
    return read_puzzle_file(FAMOUS_FILE)


def candidate_masks(grid: np.ndarray) -> np.ndarray:
    """Candidate bitmask (bit d-1 = digit d allowed) of every cell, 0 at filled cells; vectorised.

    Examples
    --------
    >>> int(candidate_masks(np.array([1] + [0] * 80, dtype=np.int8))[1])
    510

    Notes
    -----
    A constant number of numpy passes over 81 cells.
    """
    g = grid.astype(np.int64)
    bits = np.where(g > 0, np.left_shift(1, np.maximum(g - 1, 0)), 0).reshape(9, 9)
    rows = np.bitwise_or.reduce(bits, axis=1)
    cols = np.bitwise_or.reduce(bits, axis=0)
    boxes = np.bitwise_or.reduce(bits.reshape(3, 3, 3, 3).transpose(0, 2, 1, 3).reshape(9, 9), axis=1)
    cand = FULL & ~(rows[ROW] | cols[COL] | boxes[BOX])
    return np.where(g == 0, cand, 0)


def candidate_masks_reference(grid: Iterable[int]) -> list[int]:
    """Plain-Python reference of :func:`candidate_masks` (peer scan per cell)."""
    g = [int(v) for v in grid]
    out = []
    for i in range(81):
        if g[i]:
            out.append(0)
            continue
        used = {g[j] for j in range(81) if j != i and (ROW[j] == ROW[i] or COL[j] == COL[i] or BOX[j] == BOX[i])}
        out.append(sum(1 << (d - 1) for d in range(1, 10) if d not in used))
    return out


def solution_problems(puzzle: np.ndarray | Iterable[int], solution: np.ndarray | Iterable[int]) -> list[str]:
    """Independent validator: every reason why ``solution`` does not solve ``puzzle`` (empty list = valid).

    Examples
    --------
    >>> sol = [(3 * (r % 3) + r // 3 + c) % 9 + 1 for r in range(9) for c in range(9)]
    >>> solution_problems([0] * 81, sol)
    []
    >>> solution_problems([2] + [0] * 80, sol)
    ['given 2 at r1c1 changed to 1']
    """
    p = [int(v) for v in puzzle]
    s = [int(v) for v in solution]
    if len(s) != 81 or len(p) != 81:
        return [f"expected 81 cells, got puzzle {len(p)} and solution {len(s)}"]
    problems = [f"cell r{i // 9 + 1}c{i % 9 + 1} holds {v}, not a digit 1-9" for i, v in enumerate(s)
                if not 1 <= v <= 9]
    problems += [f"given {p[i]} at r{i // 9 + 1}c{i % 9 + 1} changed to {s[i]}" for i in range(81)
                 if p[i] and p[i] != s[i]]
    digits = set(range(1, 10))
    for k in range(9):
        units = {"row": [s[9 * k + c] for c in range(9)], "column": [s[9 * r + k] for r in range(9)],
                 "box": [s[9 * (3 * (k // 3) + r) + 3 * (k % 3) + c] for r in range(3) for c in range(3)]}
        for name, vals in units.items():
            if set(vals) != digits:
                problems.append(f"{name} {k + 1} is not a permutation of 1-9")
    return problems
