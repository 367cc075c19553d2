"""Tour section: Sudoku as an AP-MDM backtracking process (PAPER.md §3.1; Theorem 4's test-time scaling)."""

from __future__ import annotations

import numpy as np

from machines.paradigms import APMDM
from proofs_check.tour import TourRow
from reductions.tasks.sudoku import solve, verify_trajectory
from reductions.tasks.sudoku_generate import generate_puzzle
from reductions.tasks.sudoku_grid import SUDOKU_VOCAB, famous_puzzles, solution_problems
from reductions.tasks.sudoku_policy import sudoku_predictor

ORDER = 60
TITLE = "Sudoku: search by remask (test-time scaling)"


def _ok(cond: bool) -> str:
    return "ok" if cond else "FAIL"


def run(seed: int) -> list[TourRow]:
    """Solve AI Escargot and two generated puzzles; check g, the solution, the step formula and the context."""
    label, grid = next((lab, g) for lab, g in famous_puzzles() if lab.startswith("AI Escargot"))
    items: list[tuple[str, str | np.ndarray]] = [
        (label, grid), ("generated, 40 givens", generate_puzzle(givens=40, seed=seed)),
        ("generated, 24 givens", generate_puzzle(givens=24, seed=seed))]
    rows = []
    for name, puzzle in items:
        t = solve(puzzle)
        bad = verify_trajectory(t) + (solution_problems(t.puzzle, t.solution) if t.solution is not None else ["no"])
        c = t.counts
        formula = 2 * (c.assigns + c.branches + c.contradictions) + 4 * c.backtracks
        rows.append(TourRow(claim=f"{name}: every step is g, solution validated",
                            measured=f"{t.steps} steps, {c.backtracks} backtracks",
                            bound="steps = 2(assign+branch+contra) + 4 backtracks",
                            status=_ok(not bad and t.steps == formula)))
        rows.append(TourRow(claim=f"{name}: context constant", measured=f"{t.states.shape[1]} tokens",
                            bound="324 = 81 cells x 4", status=_ok(t.context == 324)))
    t = solve(grid)
    res = APMDM(vocab=SUDOKU_VOCAB, predictor=sudoku_predictor, max_steps=10**5).run(t.states[0].astype(np.int64),
                                                                                   keep_records=True)
    same = res.records is not None and len(res.records) == t.steps and all(
        np.array_equal(r.x_next, t.states[k + 1]) for k, r in enumerate(res.records))
    rows.append(TourRow(claim=f"{label}: the step is a function of the sequence (APMDM run)",
                        measured=f"{res.counters.steps} steps, halt {res.halt_reason}",
                        bound=f"= recorded trajectory ({t.steps} steps), fixed point",
                        status=_ok(same and res.halt_reason == "fixed-point")))
    return rows
