"""The shipped Sudoku data sets (reductions/tasks/data/sudoku_*.txt) and their generator."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from proofs_check.cli import main
from reductions.errors import InvalidInstance
from reductions.tasks.sudoku import solve
from reductions.tasks.sudoku_dataset import (
    PAPER_TRAIN_STATS,
    heldout_puzzle,
    iter_split,
    mrv_counts,
    split_stats,
    train_puzzle,
)
from reductions.tasks.sudoku_grid import famous_puzzles

DATA = Path(__file__).resolve().parents[2] / "reductions" / "tasks" / "data"
MANIFEST = json.loads((DATA / "sudoku_datasets.json").read_text())
TEST_FILE, TRAIN_FILE = DATA / "sudoku_test_1000.txt", DATA / "sudoku_train_100.txt"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _train() -> list[str]:
    if not TRAIN_FILE.exists():
        pytest.skip("the training file has not been generated yet (see docs/experiment_sudoku.md, Data)")
    return _lines(TRAIN_FILE)


def count_backtracking(puzzle: str, limit: int = 2) -> int:
    """Plain backtracking over candidate sets (fewest candidates first), written here independently."""
    grid = [0 if ch == "." else int(ch) for ch in puzzle]
    peers = [{j for j in range(81) if j != i and (j // 9 == i // 9 or j % 9 == i % 9 or
                                                 (j // 27 == i // 27 and j % 9 // 3 == i % 9 // 3))}
             for i in range(81)]
    for i in range(81):
        if grid[i] and any(grid[j] == grid[i] for j in peers[i]):
            return 0
    found = 0

    def rec() -> None:
        nonlocal found
        best, best_c = -1, set()
        for i in range(81):
            if grid[i] == 0:
                c = set(range(1, 10)) - {grid[j] for j in peers[i]}
                if best < 0 or len(c) < len(best_c):
                    best, best_c = i, c
                    if not c:
                        return
        if best < 0:
            found += 1
            return
        for v in sorted(best_c):
            grid[best] = v
            rec()
            grid[best] = 0
            if found >= limit:
                return

    rec()
    return found


def test_manifest_hashes_match_the_files():
    assert "sudoku_test_1000.txt" in MANIFEST["files"]
    for name, entry in MANIFEST["files"].items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == entry["sha256"], name
        assert len(_lines(DATA / name)) == entry["count"]


def test_files_are_81_character_lines_with_the_givens_ranges():
    test = _lines(TEST_FILE)
    assert len(test) >= 1000
    for p in test:
        assert len(p) == 81 and set(p) <= set(".123456789")
        assert 20 <= 81 - p.count(".") <= 28
    train = _train()
    assert len(train) == 100
    givens = [81 - p.count(".") for p in train]
    assert min(givens) >= 21 and max(givens) <= 25
    assert abs(sum(givens) / 100 - PAPER_TRAIN_STATS["givens_mean"]) < 0.5


def _relabel(p: str) -> str:
    """Canonical form under digit relabelling (digits renamed by first occurrence)."""
    names: dict[str, str] = {}
    return "".join("." if ch == "." else names.setdefault(ch, str(len(names) + 1)) for ch in p)


def test_train_and_test_are_disjoint_exactly_and_up_to_relabelling_and_transposition():
    test = _lines(TEST_FILE)
    assert len(set(test)) == len(test)
    train = _train()
    assert len(set(train)) == len(train)

    def forms(p: str) -> set[str]:
        t = "".join(p[9 * c + r] for r in range(9) for c in range(9))
        return {_relabel(p), _relabel(t)}

    seen = set().union(*(forms(p) for p in train))
    assert not any(forms(p) & seen for p in test)


@pytest.mark.parametrize("which", ["sample", pytest.param("all", marks=pytest.mark.slow)])
def test_every_puzzle_has_exactly_one_solution(which):
    test = _lines(TEST_FILE)
    puzzles = (test[::50] if which == "sample" else test) + (_train() if TRAIN_FILE.exists() else [])
    for p in puzzles:
        assert count_backtracking(p) == 1, p


def test_the_counts_only_search_equals_the_recording_solver():
    cases = [a.tolist() for _, a in famous_puzzles()[:8]]
    cases += [[0 if ch == "." else int(ch) for ch in p] for p in _lines(TEST_FILE)[:20]]
    for g in cases:
        a, b, c, bk, ok = mrv_counts(g)
        t = solve("".join(map(str, g)))
        assert (a, b, c, bk) == (t.counts.assigns, t.counts.branches, t.counts.contradictions, t.counts.backtracks)
        assert ok == t.solved
        assert t.steps == 2 * (a + b + c) + 4 * bk


def test_training_trajectories_are_in_the_paper_band():
    train = _train()
    steps = sorted(solve(p).steps for p in train[:5])
    assert all(PAPER_TRAIN_STATS["transitions_min"] <= s <= 30_450 for s in steps)


def test_regenerating_a_prefix_gives_identical_bytes(tmp_path):
    out = tmp_path / "t.txt"
    assert main(["sudoku", "dataset", "--split", "test", "--seed", "0", "--count", "5", "--out", str(out)]) == 0
    assert out.read_bytes() == b"".join(line.encode() + b"\n" for line in _lines(TEST_FILE)[:5])
    assert not (tmp_path / "t.txt.partial").exists()


def test_a_stopped_run_resumes_to_the_same_bytes(tmp_path):
    out = tmp_path / "t.txt"
    (tmp_path / "t.txt.partial").write_text(heldout_puzzle(0, 0) + "\n")
    assert main(["sudoku", "dataset", "--split", "test", "--seed", "0", "--count", "3", "--out", str(out)]) == 0
    assert out.read_text().splitlines() == _lines(TEST_FILE)[:3]


def test_the_training_generator_is_seeded_and_reaches_its_band():
    a = train_puzzle(3, 1, target=(300, 400))
    assert a == train_puzzle(3, 1, target=(300, 400))
    s = solve(a).steps
    assert 300 <= s <= 420
    assert count_backtracking(a) == 1


@pytest.mark.slow
def test_the_first_training_puzzle_regenerates():
    assert train_puzzle(0, 0) == _train()[0]


def test_bad_requests_are_typed_errors(tmp_path):
    with pytest.raises(InvalidInstance):
        list(iter_split("valid", 0, 1))
    with pytest.raises(InvalidInstance):
        train_puzzle(0, 0, target=(0, 10))
    assert main(["sudoku", "dataset", "--split", "dev", "--out", str(tmp_path / "x")]) == 2


def test_split_stats_in_both_units():
    puzzles = ["".join("." if v == 0 else str(v) for v in a.tolist()) for _, a in famous_puzzles()[:3]]
    steps = sorted(solve(p).steps for p in puzzles)
    st = split_stats(puzzles)
    assert st["transitions"] == {"mean": sum(steps) / 3, "median": steps[1], "min": steps[0], "max": steps[2]}
    assert st["pairs"]["median"] * 2 == steps[1]
    assert sum(st["givens_hist"].values()) == 3
