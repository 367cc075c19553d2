"""``powergen check space``: quick run, plot, and the per-program growth verdict."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err



def test_check_space_quick(capsys):
    code, d, _ = _json(capsys, ["check", "space", "--quick", "--json"])
    assert code == 0 and d["claim"] == "space" and d["ok"] is True
    iterate = [p for p in d["points"] if p["params"]["program"] == "iterate"]
    assert len({p["measured"]["apmdm_context"] for p in iterate}) == 1  # O(S): the same for every T
    assert [p["measured"]["mdm_context"] for p in iterate] == sorted(p["measured"]["mdm_context"] for p in iterate)



def test_check_space_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "space.png"
    assert main(["check", "space", "--quick", "--plot", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"



def test_space_growth_verdict_is_per_program(monkeypatch):
    from proofs_check.claims import space

    monkeypatch.setattr(space, "_space_growth_ok", lambda name, *fits: name != "iterate")
    r = space.run_space((("iterate", (4, 8, 16)), ("sat", (2, 3, 4))), 0)
    assert r.extra["growth"]["iterate"]["ok"] is False and r.extra["growth"]["sat"]["ok"] is True and not r.ok

