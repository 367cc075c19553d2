"""``powergen dyck sample`` / ``dyck check``: JSON, text, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main
from reductions.dyck_two_sided import is_dyck


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err



def test_dyck_sample_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["dyck", "sample", "--k", "3", "--length", "20", "--seed", "5", "--json"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["schema"] == "powergen.dyck-sample/1"
    assert len(doc["word"]) == 20 and is_dyck(tuple(doc["word"])) and doc["steps"] == 30 and doc["member"]
    rc2, out2, _ = _run(["dyck", "sample", "--k", "3", "--length", "20", "--seed", "5", "--json"], capsys)
    assert out2 == out  # same seed, byte-identical JSON



def test_dyck_sample_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["dyck", "sample", "--length", "0"], capsys)
    assert rc == 0 and "(empty)" in out and "0 steps" in out



@pytest.mark.parametrize(("argv", "rc", "member"), [
    (["1", "-1", "2", "-2"], 0, True), (["abBA"], 0, True), (["1 2 -1 -2"], 1, False), ([""], 0, True),
    (["--k", "3", "c", "C"], 0, True), (["--", "-1,1"], 0, True), (["a"], 1, False),
])
def test_dyck_check(argv: list[str], rc: int, member: bool, capsys: pytest.CaptureFixture[str]) -> None:
    got, out, _ = _run(["dyck", "check", *argv, "--json"] if "--" not in argv else
                       ["dyck", "check", "--json", *argv], capsys)
    doc = json.loads(out)
    assert got == rc and doc["member"] is member and doc["cancellation_closure_agrees"]
    got_text, text, _ = _run(["dyck", "check", *argv], capsys)
    assert got_text == rc and ("is in" in text) == member



@pytest.mark.parametrize("argv", [
    ["dyck", "check", "a", "c"],                 # symbol outside the alphabet of k = 2
    ["dyck", "check", "1", "3"],
    ["dyck", "check", "0"],
    ["dyck", "check", "1", "x"],
    ["dyck", "check", "--k", "0", "ab"],          # k < 1
    ["dyck", "check", "--k", "-2", "ab"],
    ["dyck", "sample", "--k", "0"],
    ["dyck", "sample", "--k", "two"],
    ["dyck", "sample", "--length", "-4"],         # negative length
    ["dyck", "sample", "--length", "7"],          # odd length: no such word
    ["dyck", "sample", "--length", "1000000"],    # refused before running
    ["dyck", "sample", "--seed", "-1"],
    ["dyck"],
    ["check", "thm5", "--k2-length", "40"],
])
def test_bad_input_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(argv, capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("powergen: error: ") and "Traceback" not in err

