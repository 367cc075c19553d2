"""Claims registry, check points/reports and their CLI rendering (proofs_check.claims, proofs_check.report_render)."""

from __future__ import annotations

import argparse
import json

import pytest

from proofs_check.bounds import Bound
from proofs_check.claims import CLAIMS, CheckPoint, CheckReport, Claim, get_claim, register_claim
from proofs_check.errors import ClaimError
from proofs_check.report_render import cell, finish, render_report


def _claim(cid="test-claim", expr="n + 1"):
    return Claim(id=cid, theorem=0, statement_paper="p", statement_checked="c", quantities=("steps",),
                 bounds=(Bound("steps", expr, ("n",)),), reconstruction="r")


def test_registry_and_lookup():
    c = register_claim(_claim())
    assert get_claim("test-claim") is c and register_claim(_claim()) == c
    with pytest.raises(ClaimError, match="already registered"):
        register_claim(_claim(expr="n + 2"))
    with pytest.raises(ClaimError, match="unknown claim 'nope'"):
        get_claim("nope")
    del CLAIMS["test-claim"]


def test_theorem_claims_registered_with_both_statements():
    import proofs_check.claims.thm1  # noqa: F401  (registers thm1)
    import proofs_check.claims.thm4  # noqa: F401  (registers thm4)

    for cid in ("thm1", "thm4"):
        c = get_claim(cid)
        assert c.statement_paper and c.statement_checked and "reconstruction" in c.reconstruction
        assert {b.name for b in c.bounds} <= set(c.quantities)
        assert c.to_json()["bounds"]


def test_bound_must_name_a_quantity():
    with pytest.raises(ClaimError, match="names no quantity"):
        Claim(id="x", theorem=0, statement_paper="", statement_checked="", quantities=("a",),
              bounds=(Bound("b", "1", ()),), reconstruction="")


def test_check_bounds_uses_params_and_measured():
    c = _claim()
    assert c.check_bounds({"steps": 4}, {"n": 3, "program": "x"}) == ({"steps": "4"}, True)
    assert c.check_bounds({"steps": 5}, {"n": 3}) == ({"steps": "4"}, False)
    with pytest.raises(ClaimError, match="not measured"):
        c.check_bounds({}, {"n": 3})


def _report(ok=True):
    pts = (CheckPoint({"program": "sum", "n": 4}, {"steps": 3}, {"steps": "3"}, True),
           CheckPoint({"program": "sum", "n": 8}, {"steps": 5}, {"steps": "4"}, ok, note="" if ok else "too many"))
    return CheckReport(claim="demo", points=pts, ok=ok, extra={"seed": 0})


def test_report_json_schema_and_determinism():
    r = _report(ok=False)
    j = r.to_json()
    assert j["schema"] == "powergen.check/1" and j["claim"] == "demo" and j["ok"] is False
    assert j["points"][1] == {"params": {"program": "sum", "n": 8}, "measured": {"steps": 5},
                              "bounds": {"steps": "4"}, "ok": False, "note": "too many"}
    assert json.dumps(j) == json.dumps(_report(ok=False).to_json())


def test_render_and_finish(capsys):
    r = _report()
    assert cell(r.points[0], "bounds.steps") == "3" and cell(r.points[0], "program") == "sum"
    assert render_report(r, ["program", "n", ("bound", "bounds.steps")]).row_count == 2
    assert finish(r, argparse.Namespace(json=True)) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "powergen.check/1"
    assert finish(_report(ok=False), argparse.Namespace(json=False), ["program", "n", "steps"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "some points FAILED" in out
