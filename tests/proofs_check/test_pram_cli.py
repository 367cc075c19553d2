"""``powergen pram run`` / ``powergen pram list``: the JSON schema, traces, and one-line exit-2 errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pram.programs import PROGRAMS, get_program
from pram.rng import as_generator
from proofs_check.cli import main

Capsys = pytest.CaptureFixture[str]


def run_json(argv: list[str], capsys: Capsys) -> dict[str, Any]:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_run_json_schema(name: str, capsys: Capsys) -> None:
    n = "4" if name == "sat" else "9"
    doc = run_json(["pram", "run", name, "--n", n, "--seed", "3", "--json"], capsys)
    assert list(doc) == ["schema", "program", "policy", "n", "output", "counters"]
    assert doc["schema"] == "powergen.pram-run/1" and doc["program"] == name and doc["n"] == int(n)
    assert list(doc["counters"]) == ["time", "processors", "work", "reads", "writes", "memory"]
    prog = get_program(name)
    inst = prog.random_instance(int(n), as_generator(3))
    assert doc["output"] == json.loads(json.dumps(prog.oracle(inst)))
    assert doc["counters"] == prog.exact_counters(inst).to_json()
    assert doc["policy"] == prog.min_policy.value


def test_same_seed_byte_identical(capsys: Capsys) -> None:
    argv = ["pram", "run", "connectivity", "--n", "12", "--seed", "5", "--json"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == first


def test_run_from_file_and_policy(tmp_path: Path, capsys: Capsys) -> None:
    f = tmp_path / "g.json"
    f.write_text(json.dumps({"n": 5, "edges": [[0, 4], [1, 2]]}))
    doc = run_json(["pram", "run", "connectivity", "--input", str(f), "--policy", "crcw-priority", "--json"], capsys)
    assert doc["output"] == {"components": [[0, 4], [1, 2], [3]]} and doc["policy"] == "crcw-priority"


def test_trace_table_and_trace_json(tmp_path: Path, capsys: Capsys) -> None:
    f = tmp_path / "v.json"
    f.write_text(json.dumps({"values": list(range(40))}))
    assert main(["pram", "run", "prefix-sums", "--input", str(f), "--trace"]) == 0
    out = capsys.readouterr().out
    assert "memory after each step" in out and "more" in out and "780" in out
    doc = run_json(["pram", "run", "sum", "--input", str(f), "--trace", "--json"], capsys)
    assert [s["t"] for s in doc["trace"]] == list(range(1, doc["counters"]["time"] + 1))
    assert doc["trace"][-1]["memory"][0] == 780


def test_list(capsys: Capsys) -> None:
    doc = run_json(["pram", "list", "--json"], capsys)
    assert doc["schema"] == "powergen.pram-list/1"
    assert [p["name"] for p in doc["programs"]] == list(PROGRAMS)
    assert main(["pram", "list"]) == 0
    assert "connectivity" in capsys.readouterr().out


def _bad(tmp_path: Path, text: str) -> str:
    f = tmp_path / "bad.json"
    f.write_text(text)
    return str(f)


BAD = [
    (lambda p: ["pram", "run", "sum", "--input", _bad(p, "{not json")], "not valid JSON"),
    (lambda p: ["pram", "run", "sum", "--input", str(p / "missing.json")], "no such file"),
    (lambda p: ["pram", "run", "sum", "--input", _bad(p, '{"values": ["a", 1.5]}')], "values[0]"),
    (lambda p: ["pram", "run", "parity", "--input", _bad(p, '{"values": [1]}')], "missing key 'bits'"),
    (lambda p: ["pram", "run", "sum", "--n", "-3"], "non-negative"),
    (lambda p: ["pram", "run", "quicksort", "--n", "3"], "unknown PRAM program"),
    (lambda p: ["pram", "run", "sum", "--n", "3", "--policy", "crcw-random"], "unknown PRAM policy"),
    (lambda p: ["pram", "run", "connectivity", "--n", "3", "--policy", "erew"], "needs at least"),
    (lambda p: ["pram", "run", "sum", "--n", "5000000"], "--max-size"),
    (lambda p: ["pram", "run", "sum", "--input", _bad(p, '{"values": [1, 2, 3]}'), "--max-size", "2"],
     "--max-size"),
    (lambda p: ["pram", "run", "iterate", "--n", "500", "--max-steps", "100"], "--max-steps"),
    (lambda p: ["pram", "run", "sat", "--n", "30"], "--max-size"),
    (lambda p: ["pram", "run", "connectivity", "--n", "20000", "--trace"], "--trace would record"),
    (lambda p: ["pram", "run", "sum"], "one of the arguments"),
    (lambda p: ["pram", "run", "sum", "--n", "3", "--input", "x.json"], "not allowed with"),
    (lambda p: ["pram"], "sub-command"),
]


@pytest.mark.parametrize(("argv", "fragment"), BAD)
def test_bad_input_is_one_line_exit_2(argv: Callable[[Path], list[str]], fragment: str, tmp_path: Path,
                                      capsys: Capsys) -> None:
    assert main(argv(tmp_path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("powergen: error: ")
    assert fragment in captured.err and "Traceback" not in captured.err
