"""CLI of Theorems 5 and 6: ``powergen dyck sample/check``, ``powergen check thm5/thm6``, the tour sections."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main
from proofs_check.tour_steps import t80_thm5, t90_thm6
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


def test_check_thm5_quick_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["check", "thm5", "--quick", "--json", "--k2-length", "6", "--k3-length", "4"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["ok"] and doc["schema"] == "powergen.check/1" and doc["claim"] == "thm5"
    rows = {(p["params"]["k"], p["params"]["n"]): p["measured"] for p in doc["points"]}
    assert rows[(2, 6)]["generator"] == rows[(2, 6)]["bruteforce"] == 232 and rows[(3, 3)]["generator"] == 0
    assert set(doc["sections"]) == {"thm5-samples", "thm5-windows", "thm5-reduction", "thm5-state"}
    assert doc["sections"]["thm5-state"]["bits_growth"] == "n"


def test_thm5_samples_are_validated_on_the_machine_for_one_in_ten() -> None:
    from dataclasses import replace

    from proofs_check.claims.thm5 import plan, sample_points
    from reductions.dyck_evidence import theorem5_evidence

    only_samples = replace(plan(True, k2=0, k3=0, samples=400), window_arms=(), reduction_arms=(), state_top=0)
    points = sample_points(theorem5_evidence(only_samples, 0).samples)
    runs = sum(int(p.measured["machine_runs"]) for p in points)
    assert runs == 40 and all(p.measured["machine_mismatch"] == 0 for p in points)
    assert all("fast path" in str(p.params["source"]) and "APMDM machine" in str(p.params["source"]) for p in points)


def test_reduction_a_runs_on_distribution_only_arms(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["check", "thm5", "--quick", "--json", "--k2-length", "2", "--k3-length", "2"], capsys)
    rows = {p["params"]["arm"]: p for p in json.loads(out)["sections"]["thm5-reduction"]["points"]}
    even = rows["distribution: EOS at even length"]
    assert rc == 0 and even["ok"] and even["measured"]["errors"] == even["measured"]["verified"] > 0
    assert rows["distribution: depth <= 2"]["measured"]["exact"] == 0


def test_check_thm5_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["check", "thm5", "--quick", "--k2-length", "4", "--k3-length", "2"], capsys)
    assert rc == 0 and "all points ok" in out and "brute force" in out


def test_check_thm6_quick(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["check", "thm6", "--quick", "--json"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["ok"] and doc["claim"] == "thm6"
    assert all(p["measured"]["steps"] == p["params"]["T"] == p["measured"]["arm_depth"] for p in doc["points"])
    # three sizes are below the classifier's resolution: every growth verdict is "undecided", none is a class
    assert set(doc["growth_in_T"].values()) == {"undecided"}
    assert set(doc["sections"]["thm6-length"]["growth_in_n"].values()) == {"undecided"}
    # the pointer-doubling depth sits beside the sequential one: ceil(log2 T) + 1 (T = 4, 8, 16 -> 3, 4, 5)
    assert [p["measured"]["parallel_depth"] for p in doc["points"]] == [3, 4, 5]
    assert all(p["measured"]["ops_per_position"] == 2 for p in doc["points"])  # a maximum: unmask + insert
    statement = doc["claim_def"]["statement_checked"]
    assert "by construction" in statement and "ceil(log2 T) + 1" in statement
    rc2, out2, _ = _run(["check", "thm6", "--quick", "--json"], capsys)
    assert out2 == out
    rc3, text, _ = _run(["check", "thm6", "--quick"], capsys)
    assert rc3 == 0 and "stated, not demonstrated" in text


def test_check_thm6_full_sweep_decides_the_growth_classes(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["check", "thm6", "--seed", "1", "--json"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["ok"]
    assert doc["growth_in_T"]["arm_depth"] == "n" and doc["growth_in_T"]["parallel_depth"] == "log n"
    assert doc["sections"]["thm6-length"]["growth_in_n"]["arm_depth"] == "1"
    # a counter taking the values 1 and 2 is no growth class: its explicit bound (<= 2) is what is checked
    assert doc["growth_in_T"]["ops_per_position"] == "undecided"
    assert all(p["measured"]["ops_per_position"] <= 2 for p in doc["points"])


def test_tour_sections_are_deterministic_and_pass() -> None:
    for mod in (t80_thm5, t90_thm6):
        rows = mod.run(3)
        assert rows == mod.run(3) and all(r.status == "ok" for r in rows)
