"""``--workers N``: processes for independent runs, output byte-identical to ``--workers 1`` (issue 17)."""

from __future__ import annotations

import argparse

import pytest

from proofs_check.cli import main
from proofs_check.parallel import _workers, map_items


def _negate(v: int) -> int:
    return -v


def test_map_items_keeps_the_order_on_two_processes() -> None:
    assert list(map_items(_negate, range(7), workers=2)) == [-v for v in range(7)]


@pytest.mark.parametrize("text", ["0", "-1", "65", "two", "1.5"])
def test_bad_worker_counts_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _workers(text)


def test_bad_workers_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["maxflow", "table", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


def _stdout(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["maxflow", "table", "--sizes", "4-5", "--count", "3", "--seed", "2", "--json"],
    ["sudoku", "table", "--count", "3", "--seed", "1", "--json"],
    ["seeds", "parity", "--seeds", "2", "--steps", "100", "--count", "3", "--lengths", "5", "--json"],
    ["check", "thm1", "--quick", "--programs", "connectivity,sum", "--seed", "3", "--json"],
    ["check", "thm2", "--quick", "--max-s", "64", "--json"],
    ["check", "thm3", "--quick", "--json"],
    ["check", "thm4", "--quick", "--programs", "parity,sort", "--json"],
    ["check", "thm5", "--quick", "--k2-length", "6", "--k3-length", "4", "--json"],
    ["check", "thm6", "--quick", "--seed", "2", "--json"],
    ["check", "space", "--quick", "--json"],
])
def test_two_workers_print_the_same_bytes_as_one(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    one = _stdout([*argv, "--workers", "1"], capsys)
    two = _stdout([*argv, "--workers", "2"], capsys)
    assert one and one == two


def test_experiment_evaluation_on_two_workers_gives_the_same_eval(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """Train a tiny model once, then evaluate it (resuming the finished run) on one and on two processes."""
    import json

    tiny = ["experiment", "maxflow", "--models", "ap-mdm",
        "--train-graphs", "7", "--steps", "2", "--batch-size", "2", "--test-per-size",
            "3", "--eval-every", "2", "--probe-per-size", "1", "--model", "d_model=16", "n_heads=2", "n_layers=1",
            "rotary=standard", "--run-dir", str(tmp_path / "run"), "--json"]
    evals = []
    for workers in ("1", "2"):
        res = json.loads(_stdout([*tiny, "--workers", workers], capsys))["models"]["ap-mdm"]
        assert res["steps_done"] == 2
        evals.append({k: v for k, v in res["eval"].items() if k != "cpu_seconds"})
    assert evals[0]["n"] == 21 and evals[0] == evals[1]


def test_costliest_items_first_still_come_back_in_order() -> None:
    items = [3, 9, 1, 7, 5]
    assert list(map_items(_negate, items, workers=2, cost=lambda v: v)) == [-v for v in items]
