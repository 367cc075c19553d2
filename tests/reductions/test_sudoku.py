"""Sudoku as an AP-MDM process: I/O, validator, candidates, generator, the search trajectory, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.trace import read_trace, replay
from machines.transition import apply_g, apply_g_reference
from proofs_check.cli import main
from proofs_check.tour_steps import t60_sudoku
from reductions.errors import InvalidInstance
from reductions.tasks.sudoku import (
    DECISIONS,
    SudokuTrajectory,
    decision_type,
    encode_grid,
    iter_transitions,
    solve,
    transitions,
    verify_trajectory,
)
from reductions.tasks.sudoku_generate import count_solutions, generate_puzzle, generate_puzzles, random_solution
from reductions.tasks.sudoku_grid import (
    CONTEXT,
    MASK,
    ROW,
    SUDOKU_VOCAB,
    candidate_masks,
    candidate_masks_reference,
    famous_puzzles,
    format_grid,
    parse_puzzle,
    read_puzzle_file,
    solution_problems,
)

ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"
# well-formed (no conflicting givens) but without a solution: AI Escargot with a wrong (locally allowed) digit
NO_SOLUTION = "120007090030020008009600500005300900010080002600004000300000010040000007007000300"
SHALLOW_NO_SOLUTION = "12345678." + "........9" + "." * 63  # r1c9 has no candidate at all


def _mrv_reference(grid: list[int]) -> tuple[list[int] | None, int]:
    """Plain recursive MRV depth-first search: (first solution, backtracks = non-first values tried)."""
    g = list(grid)
    backtracks = 0

    def cands(i: int) -> list[int]:
        used = {g[j] for j in range(81) if j // 9 == i // 9 or j % 9 == i % 9
                or (j // 27 == i // 27 and (j % 9) // 3 == (i % 9) // 3)}
        return [d for d in range(1, 10) if d not in used]

    def rec() -> bool:
        nonlocal backtracks
        empties = [i for i in range(81) if g[i] == 0]
        if not empties:
            return True
        best = min(empties, key=lambda i: (len(cands(i)), i))
        for k, d in enumerate(cands(best)):
            if k > 0:
                backtracks += 1
            g[best] = d
            if rec():
                return True
            g[best] = 0
        return False

    return (g if rec() else None), backtracks


# -- I/O and validation --------------------------------------------------------------------------------------------
def test_parse_accepts_dots_and_zeros() -> None:
    assert parse_puzzle(ESCARGOT.replace("0", ".")).tolist() == parse_puzzle(ESCARGOT).tolist()
    assert format_grid(parse_puzzle(ESCARGOT), blank="0") == ESCARGOT


@pytest.mark.parametrize("text, fragments", [
    ("123", ["length is 3"]),
    ("a" + ESCARGOT[1:], ["'a' at 1"]),
    ("11" + ESCARGOT[2:], ["r1c1 and r1c2 (row 1)"]),
    ("1x" + "1" + ESCARGOT[3:-1], ["length is 80", "'x' at 2"]),
    ("x1" + "0" * 8 + "1" + "0" * 70, ["'x' at 1", "column 2"]),
])
def test_parse_reports_every_problem(text: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidInstance) as exc:
        parse_puzzle(text)
    for f in fragments:
        assert f in str(exc.value)


def test_puzzle_file(tmp_path: Path) -> None:
    p = tmp_path / "p.txt"
    p.write_text(f"# comment\n\n{ESCARGOT} escargot\n{ESCARGOT.replace('0', '.')}\n", encoding="utf-8")
    items = read_puzzle_file(p)
    assert [lab for lab, _ in items] == ["escargot", "line 4"]
    p.write_text(f"{ESCARGOT}\n123\n{'z' * 81}\n", encoding="utf-8")
    with pytest.raises(InvalidInstance, match="line 2.*line 3"):
        read_puzzle_file(p)


def test_validator_catches_each_kind_of_error() -> None:
    sol = solve(ESCARGOT).solution
    assert sol is not None and solution_problems(parse_puzzle(ESCARGOT), sol) == []
    swapped = sol.copy()
    swapped[[1, 2]] = swapped[[2, 1]]  # keeps rows, breaks two columns
    assert any("column" in p for p in solution_problems(np.zeros(81, np.int8), swapped))
    assert any("given" in p for p in solution_problems(parse_puzzle(ESCARGOT), np.roll(sol, 9)))
    assert solution_problems(np.zeros(81, np.int8), np.zeros(81, np.int8))[0].endswith("not a digit 1-9")


@given(st.lists(st.integers(0, 9), min_size=81, max_size=81))
def test_candidates_fast_equals_reference(cells: list[int]) -> None:
    grid = np.array(cells, dtype=np.int8)
    assert candidate_masks(grid).tolist() == candidate_masks_reference(cells)


# -- generator -----------------------------------------------------------------------------------------------------
@given(st.integers(0, 10**6), st.integers(26, 45))
def test_generated_puzzles_are_unique_and_solved(seed: int, givens: int) -> None:
    p = generate_puzzle(givens=givens, seed=seed)
    grid = parse_puzzle(p)
    assert int((grid > 0).sum()) == givens
    count, sol = count_solutions(grid.tolist())
    assert count == 1 and sol is not None
    t = solve(p)
    assert t.solved and t.solution is not None and t.solution.tolist() == sol
    assert verify_trajectory(t) == [] and solution_problems(grid, t.solution) == []
    ref_sol, ref_back = _mrv_reference(grid.tolist())
    assert ref_sol == sol and ref_back == t.counts.backtracks
    c = t.counts
    assert t.steps == 2 * (c.assigns + c.branches + c.contradictions) + 4 * c.backtracks
    assert t.states.shape[1] == CONTEXT == 324


def test_generator_is_deterministic_and_honours_windows() -> None:
    a = list(generate_puzzles(3, givens=30, seed=7))
    assert a == list(generate_puzzles(3, givens=30, seed=7)) and len(set(a)) == 3
    hard = generate_puzzle(givens=24, seed=1, min_backtracks=20)
    assert solve(hard).counts.backtracks >= 20
    easy = generate_puzzle(givens=34, seed=1, max_backtracks=0)
    assert solve(easy).counts.backtracks == 0
    assert sorted(random_solution(5)[:9]) == list(range(1, 10))


@pytest.mark.parametrize("kwargs, fragment", [({"givens": 16}, "17..81"), ({"givens": 30, "min_backtracks": 5,
                                               "max_backtracks": 2}, "window"),
                                              ({"givens": 17, "max_attempts": 1}, "attempts")])
def test_generator_refuses_impossible_requests(kwargs: dict[str, int], fragment: str) -> None:
    with pytest.raises(InvalidInstance, match=fragment):
        generate_puzzle(seed=0, **kwargs)


# -- the trajectory ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_famous_puzzles_unique_and_solved() -> None:
    items = famous_puzzles()
    assert len(items) >= 15
    most = 0
    for label, grid in items:
        assert count_solutions(grid.tolist())[0] == 1, label
        t = solve(grid)
        assert t.solved and t.solution is not None, label
        assert verify_trajectory(t) == [] and solution_problems(grid, t.solution) == [], label
        assert t.context == 324
        most = max(most, t.counts.backtracks)
    assert most > 500  # the hardest need tens of thousands of steps at the same 324 tokens


def test_every_transition_is_g_on_the_reference_and_fast_path() -> None:
    t = solve(ESCARGOT)
    ts = transitions(t)
    assert len(ts) == t.steps and np.array_equal(ts[0].x, encode_grid(parse_puzzle(ESCARGOT)))
    for a, b in zip(ts, ts[1:], strict=False):
        assert np.array_equal(a.x_next, b.x)  # continuity
    for k, tr in enumerate(ts):
        assert not tr.insert.any() and not tr.delete.any()
        assert np.array_equal(apply_g(tr.x, tr.y, tr.remask, tr.insert, tr.delete, mask_id=MASK), tr.x_next)
        if k % 25 == 0:
            assert apply_g_reference(tr.x.tolist(), tr.y.tolist(), tr.remask.tolist(), mask_id=MASK) \
                == tr.x_next.tolist()
        used = (tr.x == MASK) & (tr.remask == 0)
        assert not (tr.y[used] == MASK).any()
    final = ts[-1].x_next
    assert t.solution is not None
    assert not (final == MASK).any() and final[0::4].tolist() == t.solution.tolist()


def test_each_event_is_remask_then_unmask() -> None:
    t = solve(ESCARGOT)
    x = t.states
    for k in range(t.steps):
        newly_masked = (x[k + 1] == MASK) & (x[k] != MASK)
        assert np.array_equal(newly_masked, t.remask[k] & (x[k] != MASK))
    # every step touches at most the three non-SEP slots of cells; SEP never changes
    assert (x[:, 3::4] == 30).all()


def test_tampering_is_detected() -> None:
    t = solve(ESCARGOT)
    y = t.y.copy()
    k = int(np.flatnonzero((t.states[:-1] == MASK).any(axis=1))[3])
    pos = int(np.flatnonzero(t.states[k] == MASK)[0])
    y[k, pos] = (int(y[k, pos]) + 1) % 10
    bad = SudokuTrajectory(puzzle=t.puzzle, states=t.states, y=y, remask=t.remask, solved=t.solved,
                           solution=t.solution, counts=t.counts)
    assert any("g(x_t" in p for p in verify_trajectory(bad))
    states = t.states.copy()
    states[-1, 0] = MASK
    assert verify_trajectory(SudokuTrajectory(puzzle=t.puzzle, states=states, y=t.y, remask=t.remask, solved=True,
                                              solution=t.solution, counts=t.counts))


def test_no_solution_exhausts_and_halts() -> None:
    for puzzle in (NO_SOLUTION, SHALLOW_NO_SOLUTION):
        assert count_solutions(parse_puzzle(puzzle).tolist())[0] == 0
        t = solve(puzzle)
        assert not t.solved and t.solution is None and verify_trajectory(t) == []
        c = t.counts
        assert t.steps == 2 * (c.assigns + c.branches + c.contradictions) + 4 * c.backtracks
        assert c.contradictions == c.backtracks + 1  # the last contradiction finds no open branch
    assert solve(NO_SOLUTION).counts.backtracks > 10


def test_iter_transitions_matches_list() -> None:
    t = solve(ESCARGOT)
    a, b = transitions(t), list(iter_transitions(t))
    assert all(np.array_equal(p.x, q.x) and np.array_equal(p.y, q.y) for p, q in zip(a, b, strict=True))
    assert ROW.shape == (81,)


@pytest.mark.slow
def test_thousand_generated_puzzles_in_under_two_minutes() -> None:
    """All solved and certified (the wall-clock time is not asserted: timings belong in benchmarks)."""
    puzzles = list(generate_puzzles(1000, givens=28, seed=2026))
    for p in puzzles:
        t = solve(p)
        assert t.solved and t.solution is not None
        assert verify_trajectory(t) == [] and solution_problems(t.puzzle, t.solution) == []


# -- CLI and tour --------------------------------------------------------------------------------------------------
def test_cli_solve_trace_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.jsonl"
    assert main(["sudoku", "solve", ESCARGOT, "--trace", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "powergen.sudoku.solve/1" and doc["solved"] and doc["context"] == 324
    tr = read_trace(f)
    assert tr.vocab.names == SUDOKU_VOCAB.names and tr.halt_reason == "fixed-point"
    assert replay(tr).ok and replay(tr).steps == doc["steps"]
    assert main(["trace", "replay", str(f)]) == 0


@pytest.mark.parametrize("puzzle", ["123", "a" + ESCARGOT[1:], "11" + ESCARGOT[2:]])
def test_cli_bad_puzzle_is_one_line_exit_2(puzzle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sudoku", "solve", puzzle]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("powergen: error: invalid puzzle")


def test_cli_no_solution_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sudoku", "solve", NO_SOLUTION]) == 1
    assert "no solution" in capsys.readouterr().out


def test_cli_generate_and_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["sudoku", "generate", "--count", "3", "--givens", "30", "--seed", "4"]) == 0
    lines = capsys.readouterr().out.split()
    assert lines == list(generate_puzzles(3, givens=30, seed=4))
    assert main(["sudoku", "generate", "--givens", "5"]) == 2
    capsys.readouterr()
    f = tmp_path / "p.txt"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["sudoku", "table", "--file", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["all_valid"] and [r["context"] for r in doc["rows"]] == [324] * 3
    assert main(["sudoku", "table", "--count", "4", "--seed", "1", "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["sudoku", "table", "--count", "4", "--seed", "1", "--json"]) == 0
    assert capsys.readouterr().out == first  # byte-identical JSON for the same seed
    assert main(["sudoku", "table", "--count", "3", "--givens", "40"]) == 0
    assert "324" in capsys.readouterr().out


def test_tour_section() -> None:
    rows = t60_sudoku.run(0)
    assert rows and all(r.status == "ok" for r in rows)
    assert [r.measured for r in rows] == [r.measured for r in t60_sudoku.run(0)]


# -- review fixes ----------------------------------------------------------------------------------------------------
def _truncated(t: SudokuTrajectory, steps: int) -> SudokuTrajectory:
    return SudokuTrajectory(puzzle=t.puzzle, states=t.states[:steps + 1], y=t.y[:steps], remask=t.remask[:steps],
                            solved=False, solution=None, counts=t.counts)


def test_verify_recomputes_g_with_the_independent_apply_g(monkeypatch: pytest.MonkeyPatch) -> None:
    import reductions.tasks.sudoku as sudoku_mod

    t = solve(ESCARGOT)
    tokens = []

    def counting(*args: object, **kwargs: object) -> np.ndarray:
        tokens.append(len(args[0]))  # type: ignore[arg-type]
        return apply_g(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sudoku_mod, "apply_g", counting)
    # the reference path sends every token of every step through apply_g; the batched path is held to it in
    # tests/reductions/test_sudoku_verify_fast.py
    assert sudoku_mod.verify_trajectory_reference(t) == []
    assert sum(tokens) >= t.steps * t.states.shape[1]
    # a wrong next state at any single step (first, middle, last) is caught, with its step number
    for k in (0, t.steps // 2, t.steps - 1):
        states = t.states.copy()
        states[k + 1, 0] = states[k + 1, 0] + 1 if states[k + 1, 0] != MASK - 1 else MASK + 2
        wrong = SudokuTrajectory(puzzle=t.puzzle, states=states, y=t.y, remask=t.remask, solved=t.solved,
                                 solution=t.solution, counts=t.counts)
        assert any(f"first t={k + 1}" in p for p in verify_trajectory(wrong, sample=0)), k
    # a y of MASK where it is used is rejected by g itself
    y = t.y.copy()
    k = int(np.flatnonzero((t.states[:-1] == MASK).any(axis=1))[0])
    y[k, int(np.flatnonzero((t.states[k] == MASK) & ~t.remask[k])[0])] = MASK
    bad = SudokuTrajectory(puzzle=t.puzzle, states=t.states, y=y, remask=t.remask, solved=t.solved,
                           solution=t.solution, counts=t.counts)
    assert any("g rejects step" in p for p in verify_trajectory(bad))


def test_verify_checks_the_final_fixed_point() -> None:
    from reductions.tasks.sudoku import final_is_fixed_point

    t = solve(ESCARGOT)
    assert final_is_fixed_point(t.states[-1]) and not final_is_fixed_point(t.states[100])
    problems = verify_trajectory(_truncated(t, 100))  # an event boundary: no MASK left, but the search goes on
    assert any("not a fixed point" in p for p in problems)


def test_cli_checks_the_fixed_point_before_claiming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs_check.commands.sudoku as cmd

    early = _truncated(solve(ESCARGOT), 100)
    monkeypatch.setattr(cmd, "solve", lambda *a, **k: early)
    f = tmp_path / "s.jsonl"
    assert main(["sudoku", "solve", ESCARGOT, "--trace", str(f), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert not f.exists() and doc["trace"] is None and any("fixed point" in p for p in doc["problems"])


def test_zero_step_trace_keeps_its_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
    f = tmp_path / "z.jsonl"
    assert main(["sudoku", "solve", full, "--trace", str(f)]) == 0
    assert "bytes" in capsys.readouterr().out
    lines = f.read_text().splitlines()
    assert len(lines) == 2 and len(json.loads(lines[0])["start"]) == 324
    assert json.loads(lines[1]) == {"halt": "fixed-point", "steps": 0, "max_length": 324}
    assert replay(read_trace(f)).ok


def test_step_caps_name_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reductions.errors import InstanceTooLarge

    with pytest.raises(InstanceTooLarge, match="max_steps argument"):
        solve(ESCARGOT, max_steps=465)  # exactly one step short: the cap is checked after the last event too
    assert solve(ESCARGOT, max_steps=466).steps == 466
    assert main(["sudoku", "solve", ESCARGOT, "--max-steps", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "raise it with --max-steps" in err and "max_steps=" not in err
    f = tmp_path / "s.jsonl"
    assert main(["sudoku", "solve", ESCARGOT, "--trace", str(f), "--max-trace-steps", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-trace-steps" in err and "kB" in err and not f.exists()
    assert main(["sudoku", "solve", ESCARGOT, "--max-trace-steps", "100"]) == 0  # no trace: no trace cap
    capsys.readouterr()


@pytest.mark.parametrize("where", ["dir", "proc"])
def test_cli_solve_refuses_unwritable_trace_before_solving(where: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs_check.commands.sudoku as cmd

    def boom(*a: object, **k: object) -> object:
        raise AssertionError("the search started before the output path was checked")

    monkeypatch.setattr(cmd, "solve", boom)
    path = str(tmp_path) if where == "dir" else "/proc/x.jsonl"
    assert main(["sudoku", "solve", ESCARGOT, "--trace", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("powergen: error: cannot write")


@pytest.mark.parametrize("grid, fragment", [
    (np.array([10] + [0] * 80), "value out of range 0-9: 10 at cell 0"),
    (np.array([0] * 80 + [-1]), "value out of range 0-9: -1 at cell 80"),
    (np.array([1.0] + [0] * 80), "integers 0-9"),
    (np.array([0] * 80), "length is 80"),
])
def test_solve_array_values_are_validated(grid: np.ndarray, fragment: str) -> None:
    with pytest.raises(InvalidInstance, match=fragment):
        solve(grid)


def test_decision_types_count_the_solver_events() -> None:
    """Labels read off the tokens agree with the solver's own event counts."""
    t = solve(ESCARGOT)
    kinds = [decision_type(t.states[k], t.y[k], t.remask[k]) for k in range(t.steps)]
    c = t.counts
    got = {d: kinds.count(d) for d in DECISIONS}
    assert got == {"cell-choice": c.assigns + c.branches + c.contradictions, "assign": c.assigns,
                   "branch": c.branches, "contradiction": c.contradictions, "backtrack-remask": c.backtracks,
                   "backtrack-restore": c.backtracks, "refill-value": c.backtracks, "refill-marker": c.backtracks,
                   "halt": 0}
