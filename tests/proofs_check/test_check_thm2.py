"""``powergen check thm2`` and the Theorem 2/3 tour sections."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from proofs_check.cli import main
from proofs_check.tour_steps import t25_thm2, t30_thm3


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    rc = main(argv)
    return rc, json.loads(capsys.readouterr().out)



def test_thm2_small_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = _json(["check", "thm2", "--max-s", "64", "--interpret-max", "16", "--machine-max", "32", "--json"],
                    capsys)
    assert rc == 0 and doc["ok"] and doc["claim"] == "thm2"
    pts = {p["params"]["S"]: p for p in doc["points"]}
    assert sorted(pts) == [4, 8, 16, 32, 64]
    for S in (4, 8, 16):
        assert pts[S]["measured"]["interp_ops"] == pts[S]["measured"]["ops"]
    assert "interp_ops" not in pts[32]["measured"] and "formula only" in pts[64]["note"]
    assert all(p["measured"]["steps"] <= p["params"]["S"] for p in doc["points"])
    assert doc["growth_steps"]["best"] == "n" and doc["c"] > 0



def test_thm2_text_and_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "thm2", "--max-s", "16", "--interpret-max", "8"]) == 0
    out = capsys.readouterr().out
    assert "Theorem 2" in out and "all points ok" in out
    assert main(["check", "thm2", "--max-s", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-s" in err



@pytest.mark.parametrize("mod", [t25_thm2, t30_thm3])
def test_tour_sections_are_ok_and_deterministic(mod: ModuleType) -> None:
    rows = mod.run(0)
    assert rows and all(r.status == "ok" for r in rows)
    assert rows == mod.run(0)



@pytest.mark.slow
def test_default_sweeps_pass(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = _json(["check", "thm2", "--json"], capsys)
    assert rc == 0 and max(p["params"]["S"] for p in doc["points"]) >= 256
    assert max(p["params"]["S"] for p in doc["points"] if "interp_ops" in p["measured"]) >= 32
    rc, doc = _json(["check", "thm3", "--json"], capsys)
    assert rc == 0 and doc["ok"]

