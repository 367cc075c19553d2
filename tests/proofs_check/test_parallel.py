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
