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



# -- the Dyck side's flow: each module asked in one stretch, the language module at the bottom ----------------------
_DYCK = ("dyck_two_sided", "dyck_matrix", "dyck_generator", "dyck_arm", "dyck_arm_run", "dyck_evidence")


def _dyck_imports(name: str) -> set[str]:
    """The Dyck modules ``reductions/<name>.py`` imports anywhere in its text (function-level imports too)."""
    import ast
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "reductions" / f"{name}.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m.split(".")[-1] for m in found if m.startswith("reductions.")} & set(_DYCK)


def test_the_dyck_modules_import_only_downwards() -> None:
    """Language (with its matrix oracle) < generator < ARM < machine-run ARMs < evidence: no module reaches up, so
    no lower module can call back into a higher one."""
    assert _dyck_imports("dyck_matrix") == set()
    assert _dyck_imports("dyck_two_sided") == {"dyck_matrix"}
    assert _dyck_imports("dyck_generator") == {"dyck_two_sided"}
    assert _dyck_imports("dyck_arm") == {"dyck_two_sided"}
    assert _dyck_imports("dyck_arm_run") <= {"dyck_two_sided", "dyck_generator", "dyck_arm"}
    assert "dyck_evidence" not in set().union(*(_dyck_imports(m) for m in _DYCK))


def test_theorem5_evidence_asks_each_side_in_one_stretch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call theorem5_evidence makes into the Dyck modules, recorded by side: the language values first, then
    the generator, the ARM checks and the language's oracles, each in one run (no side is asked twice between
    others, as in the ping-pong language -> generator -> language -> ARM -> language this replaced)."""
    import reductions.dyck_evidence as ev
    from reductions.dyck_arm import GreedyWindowARM, StackARM

    side = {"reductions.dyck_two_sided": "language", "reductions.dyck_matrix": "language",
            "reductions.dyck_generator": "generator", "reductions.dyck_arm": "arm"}
    calls: list[str] = []
    for name in dir(ev):
        obj = getattr(ev, name)
        if callable(obj) and getattr(obj, "__module__", None) in side:
            def spy(*a: object, _f: object = obj, _s: str = side[obj.__module__], **kw: object) -> object:
                calls.append(_s)
                return _f(*a, **kw)  # type: ignore[operator]
            monkeypatch.setattr(ev, name, spy)
    plan = ev.Theorem5Plan(support={2: 4}, samples=4, machine_every=2, window_arms=(GreedyWindowARM(k=2, w=2),),
                           window_length=6, reduction_arms=(StackARM(k=2),), reduction_length=3, state_k=2,
                           state_top=2)
    ev.theorem5_evidence(plan, 0)
    runs = [s for i, s in enumerate(calls) if i == 0 or calls[i - 1] != s]
    assert runs == ["language", "generator", "arm", "language"]
    assert {"generator", "arm", "language"} <= set(calls) and calls.count("arm") == 2
