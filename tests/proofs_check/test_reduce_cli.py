"""``powergen reduce thm1|thm4``: random and file input, limits refused before building, one-line errors."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err



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



@pytest.mark.parametrize(("argv", "message"), [
    (["reduce", "thm1", "--program", "sat", "--n", "100000000"], "exceeds the size limit 14 of sat; raise it with "
                                                                 "--max-size"),
    (["reduce", "thm4", "--program", "sum", "--n", "64", "--max-size", "8"], "raise it with --max-size"),
    (["reduce", "thm1", "--program", "sat", "--n", "14", "--max-steps", "1000"], "raise it with --max-steps"),
    (["reduce", "thm4", "--program", "iterate", "--n", "5000", "--max-steps", "100"], "above the limit 100"),
    (["reduce", "thm1", "--program", "sum", "--n", "4", "--word-bits", "70"],
     "--word-bits: expected an integer in 1..61"),
    (["reduce", "thm4", "--program", "sum", "--n", "4", "--word-bits", "0"], "--word-bits"),
])
def test_reduce_limits_refuse_before_building(argv, message, capsys, monkeypatch):
    from pram.programs import get_program

    def no_instance(*args, **kwargs):
        raise AssertionError("the instance must not be drawn before the limits are checked")

    if "--max-size" in message or "size limit" in message:
        prog = get_program(argv[3])
        monkeypatch.setattr(type(prog), "random_instance", no_instance)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err



def test_reduce_within_limits_runs(capsys):
    code, d, _ = _json(capsys, ["reduce", "thm4", "--program", "iterate", "--n", "50", "--max-steps", "50",
                                "--word-bits", "61", "--json"])
    assert code == 0 and d["pram"]["time"] == 50 and d["ok"] is True

