"""The Sudoku validator on grids with exactly one kind of fault (issue 13 §3, class 5).

``solution_problems`` checks rows, columns, boxes, digits and givens.  Each negative here breaks exactly one of
those, and the validator must reject it *for that reason* -- the reported units are compared with the units this
file's plain oracle finds bad, so a grid rejected for some other reason does not count:

* box only: Latin squares that are not Sudokus (a cyclic Latin square with rows, columns and symbols permuted at
  random: every row and column is a permutation, some box is not);
* row only: a valid Sudoku with two cells of one column *and* one box swapped (the column and the box keep their
  digits, the two rows get a duplicate);
* column only: two cells of one row and one box swapped;
* givens only: a valid solution whose puzzle has one given that disagrees with it.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reductions.tasks.sudoku_grid import solution_problems

Grid = list[int]


def units() -> dict[tuple[str, int], list[int]]:
    """Cell indices of every row, column and box, numbered from 1 (written out here, not imported)."""
    out: dict[tuple[str, int], list[int]] = {}
    for k in range(9):
        out["row", k + 1] = [9 * k + c for c in range(9)]
        out["column", k + 1] = [9 * r + k for r in range(9)]
        br, bc = 3 * (k // 3), 3 * (k % 3)
        out["box", k + 1] = [9 * (br + r) + bc + c for r in range(3) for c in range(3)]
    return out


UNITS = units()


def bad_units(grid: Grid) -> set[tuple[str, int]]:
    return {u for u, cells in UNITS.items() if sorted(grid[i] for i in cells) != list(range(1, 10))}


def reported_units(problems: list[str]) -> set[tuple[str, int]]:
    out = set()
    for p in problems:
        m = re.fullmatch(r"(row|column|box) (\d) is not a permutation of 1-9", p)
        if m:
            out.add((m.group(1), int(m.group(2))))
    return out


def perm9() -> st.SearchStrategy[list[int]]:
    return st.permutations(list(range(9)))


@st.composite
def sudokus(draw: st.DrawFn) -> Grid:
    """A valid solved Sudoku: the pattern grid under random band/row/stack/column/digit permutations."""
    base = [[(3 * (r % 3) + r // 3 + c) % 9 for c in range(9)] for r in range(9)]
    bands, stacks = draw(st.permutations([0, 1, 2])), draw(st.permutations([0, 1, 2]))
    rows = [3 * b + i for b in bands for i in draw(st.permutations([0, 1, 2]))]
    cols = [3 * s + i for s in stacks for i in draw(st.permutations([0, 1, 2]))]
    digits = draw(perm9())
    g = [digits[base[r][c]] + 1 for r in rows for c in cols]
    if draw(st.booleans()):
        g = [g[9 * c + r] for r in range(9) for c in range(9)]
    assert not bad_units(g)
    return g


@given(rows=perm9(), cols=perm9(), syms=perm9())
def test_latin_square_that_is_not_a_sudoku_is_rejected_for_its_boxes(rows: list[int], cols: list[int],
                                                                      syms: list[int]) -> None:
    g = [syms[(rows[r] + cols[c]) % 9] + 1 for r in range(9) for c in range(9)]
    bad = bad_units(g)
    assume(bad)
    assert {kind for kind, _ in bad} == {"box"}  # a Latin square: rows and columns hold
    problems = solution_problems([0] * 81, g)
    assert reported_units(problems) == bad and len(problems) == len(bad), problems


def test_the_plain_cyclic_latin_square_fails_every_box() -> None:
    g = [(r + c) % 9 + 1 for r in range(9) for c in range(9)]
    problems = solution_problems([0] * 81, g)
    assert reported_units(problems) == {("box", k) for k in range(1, 10)} and len(problems) == 9


@given(sudokus(), st.integers(0, 80), st.integers(1, 2), st.booleans())
def test_swap_inside_a_box_breaks_only_rows_or_only_columns(g: Grid, cell: int, shift: int, vertical: bool) -> None:
    r, c = divmod(cell, 9)
    if vertical:  # same column, same box, another row of the band
        other = 9 * (3 * (r // 3) + (r % 3 + shift) % 3) + c
        kind, lines = "row", {r + 1, other // 9 + 1}
    else:  # same row, same box, another column of the stack
        other = 9 * r + 3 * (c // 3) + (c % 3 + shift) % 3
        kind, lines = "column", {c + 1, other % 9 + 1}
    h = list(g)
    h[cell], h[other] = h[other], h[cell]
    assert bad_units(h) == {(kind, x) for x in lines}
    problems = solution_problems([0] * 81, h)
    assert reported_units(problems) == {(kind, x) for x in lines} and len(problems) == 2, problems
    # and the same digits with the givens of the original: also the givens at the two cells are reported
    assert sum(p.startswith("given ") for p in solution_problems(g, h)) == 2


@given(sudokus(), st.integers(0, 80), st.integers(1, 8))
def test_a_given_the_solution_changes_is_the_only_reason(g: Grid, cell: int, delta: int) -> None:
    puzzle = [0] * 81
    puzzle[cell] = (g[cell] - 1 + delta) % 9 + 1  # a digit other than the solution's
    problems = solution_problems(puzzle, g)
    r, c = divmod(cell, 9)
    assert problems == [f"given {puzzle[cell]} at r{r + 1}c{c + 1} changed to {g[cell]}"]
    same = list(puzzle)
    same[cell] = g[cell]
    assert solution_problems(same, g) == [] and solution_problems(g, g) == []


@given(sudokus(), st.integers(0, 80), st.sampled_from([0, 10, -1]))
def test_a_non_digit_is_reported_as_such(g: Grid, cell: int, v: int) -> None:
    h = list(g)
    h[cell] = v
    problems = solution_problems([0] * 81, h)
    r, c = divmod(cell, 9)
    assert f"cell r{r + 1}c{c + 1} holds {v}, not a digit 1-9" in problems
    assert reported_units(problems) == bad_units(h)


@given(st.integers(0, 80), st.integers(0, 80), st.integers(1, 9))
def test_a_clash_of_givens_names_its_unit(i: int, j: int, d: int) -> None:
    """``conflicts`` (the puzzle check) names the row, column or box two equal givens share, numbered from 1."""
    from reductions.tasks.sudoku_grid import conflicts

    assume(i < j)
    order = {"row": 0, "column": 1, "box": 2}
    shared = sorted((u for u, cells in UNITS.items() if i in cells and j in cells), key=lambda u: order[u[0]])
    g = [0] * 81
    g[i] = g[j] = d
    got = conflicts(g)
    if not shared:
        assert got == []
        return
    kind, k = shared[0]  # row before column before box, as a reader would name it
    assert got == [f"{d} at r{i // 9 + 1}c{i % 9 + 1} and r{j // 9 + 1}c{j % 9 + 1} ({kind} {k})"]


@pytest.mark.parametrize("bad", [None, 5, ["1"] * 81, b"1" * 81])
def test_a_puzzle_that_is_not_a_string_is_refused_as_such(bad: object) -> None:
    from reductions.errors import InvalidInstance
    from reductions.tasks.sudoku_grid import parse_puzzle

    with pytest.raises(InvalidInstance, match="must be a string"):
        parse_puzzle(bad)  # type: ignore[arg-type]
