"""CLI of Theorems 1 and 4: ``check thm1|thm4|space`` and ``reduce thm1|thm4`` (exit codes, JSON, one-line errors)."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def test_check_thm1_quick_json(capsys):
    code, d, _ = _json(capsys, ["check", "thm1", "--programs", "sum,connectivity", "--max-n", "8", "--json"])
    assert code == 0 and d["schema"] == "powergen.check/1" and d["claim"] == "thm1" and d["ok"] is True
    assert {p["params"]["program"] for p in d["points"]} == {"sum", "connectivity"}
    p = d["points"][0]
    assert p["measured"]["steps"] == p["measured"]["T"] + 1 == int(p["bounds"]["steps"])
    confirm = d["arm_vs_mdm"]["confirmed_by_running"]
    assert confirm["same_sequence"] and confirm["arm_steps"] > 10 * confirm["mdm_steps"]


def test_check_thm4_table_and_determinism(capsys):
    argv = ["check", "thm4", "--programs", "iterate,sum", "--max-n", "16", "--json"]
    code, d1, _ = _json(capsys, argv)
    code2, d2, _ = _json(capsys, argv)
    assert code == code2 == 0 and d1 == d2 and d1["context_O1_in_T_ok"] is True
    assert main(["check", "thm4", "--programs", "iterate", "--max-n", "8"]) == 0
    out = capsys.readouterr().out
    for col in ("program", "steps", "bound", "context", "all points ok"):
        assert col in out


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


@pytest.mark.parametrize("thm", ["thm1", "thm4"])
def test_reduce_random_and_file_input(thm, tmp_path, capsys):
    code, d, _ = _json(capsys, ["reduce", thm, "--program", "prefix-sums", "--n", "6", "--seed", "3", "--json"])
    assert code == 0 and d["schema"] == "powergen.reduce/1" and d["lockstep"] == "ok" and d["ok"] is True
    assert d["output"] == d["oracle"] and d["machine"]["steps"] > d["pram"]["time"]
    f = tmp_path / "in.json"
    f.write_text(json.dumps({"values": [3, 1, 4, 1, 5]}))
    code, d, _ = _json(capsys, ["reduce", thm, "--program", "prefix-sums", "--input", str(f), "--json"])
    assert code == 0 and d["output"] == [3, 4, 8, 9, 14]
    assert main(["reduce", thm, "--program", "sat", "--input", str(f)]) == 2  # wrong format for sat


@pytest.mark.parametrize(("argv", "message"), [
    (["reduce", "thm1", "--program", "sum", "--n", "4", "--policy", "crcw-arbitrary"], "crcw-arbitrary"),
    (["reduce", "thm4", "--program", "nope", "--n", "4"], "unknown PRAM program"),
    (["reduce", "thm1", "--program", "sum", "--n", "64", "--max-length", "100"], "above the limit 100"),
    (["reduce", "thm4", "--program", "sum", "--input", "/nonexistent.json"], "no such file"),
    (["check", "thm1", "--programs", "nope"], "unknown programs"),
    (["reduce", "thm1", "--program", "sum"], "required"),
])
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
