"""``powergen check thm5`` and the Theorem 5/6 tour sections."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main
from proofs_check.tour_steps import t80_thm5, t90_thm6


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err



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



def test_tour_sections_are_deterministic_and_pass() -> None:
    for mod in (t80_thm5, t90_thm6):
        rows = mod.run(3)
        assert rows == mod.run(3) and all(r.status == "ok" for r in rows)

