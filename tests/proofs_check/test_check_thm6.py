"""``powergen check thm6``: quick and full sweeps, explicit bounds and decided growth classes."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err



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

