"""The CLI's conventions: --version, one-line errors with exit code 2, JSON tour."""

from __future__ import annotations

import json

import pytest

from proofs_check.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("powergen ")


@pytest.mark.parametrize("argv", [["no-such-command"], [], ["tour", "--seed", "-3"], ["tour", "--bogus"]])
def test_bad_usage_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("powergen: error: ")
    assert "Traceback" not in err


def test_tour_json_is_an_object_with_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """The tour is green: exit 0, ``ok`` true, and every row (not only the summary) has status ok."""
    rc = main(["tour", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "powergen.tour/1"
    rows = doc["rows"]
    assert rows and all(isinstance(r, dict) for r in rows)
    red = [f"{r.get('section')}: {r.get('claim')} -> {r.get('status')}" for r in rows if r.get("status") != "ok"]
    assert red == [], red
    assert doc["ok"] is True and rc == 0


def test_the_command_table_agrees_with_the_full_parser() -> None:
    """The static table names every top-level command of the full parser (built from every command module), every
    command module appears in it, and the modules it names are the ones that register that command (each alone
    builds a parser that has it and nothing else)."""
    import argparse
    import pkgutil

    import proofs_check.commands as pkg
    from proofs_check.cli import COMMANDS, build_parser

    def top_choices(p: argparse.ArgumentParser) -> set[str]:
        acts = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        return set(acts[0].choices) if acts else set()

    assert set(COMMANDS) == top_choices(build_parser())
    listed = [m for modules in COMMANDS.values() for m in modules]
    assert sorted(listed) == sorted(info.name for info in pkgutil.iter_modules(pkg.__path__))
    for name, modules in COMMANDS.items():
        assert name in top_choices(build_parser(modules))
        for m in modules:  # a module the table assigns to `name` registers nothing else
            assert top_choices(build_parser([m])) == {name}


def test_a_command_imports_only_its_own_modules() -> None:
    """``powergen eval`` does not import sympy or networkx (they cost ~0.3 s); ``--version`` imports no command."""
    import subprocess
    import sys

    code = ("import sys; from proofs_check.cli import main; "
            "rc = main(['eval', 'parity', '--oracle', '--lengths', '3', '--count', '1', '--json']); "
            "print(rc, 'sympy' in sys.modules, 'networkx' in sys.modules, "
            "'proofs_check.commands.check_thm1' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 False False False"
    code = ("import sys; from proofs_check.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('proofs_check.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


# -- the input layer (issue 13 section 5) ------------------------------------------------------------------------
import argparse  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from proofs_check.cli import build_parser  # noqa: E402

NOT_STRICT = [" 5", "5 ", "\u0663", "5_0", "+7", "0x10", "1e3", "", "-0", "9" * 40]


@pytest.mark.parametrize("text", NOT_STRICT)
@pytest.mark.parametrize("argv", [["pram", "run", "sum", "--n"], ["machines", "demo", "--n"],
                                  ["sudoku", "generate", "--count"], ["dyck", "sample", "--length"],
                                  ["maxflow", "table", "--count"], ["reduce", "thm4", "--program", "sum", "--n"],
                                  ["eval", "parity", "--oracle", "--lengths"], ["train", "parity", "--out", "x",
                                                                                 "--steps"]])
def test_numeric_flags_take_ascii_digits_only(argv: list[str], text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "integer" in err and len(err) < 300


def _command_flags(words: list[str]) -> set[str]:
    """The option strings of the (sub)command that ``words`` names, read off the real parser."""
    from proofs_check.cli import command_flags

    return command_flags(build_parser(), words)


REFUSALS = [
    ["machines", "demo", "--n", "1000000000000"],
    ["machines", "demo", "--n", "400000"],
    ["machines", "demo", "--paradigm", "masked-arm", "--n", "6000", "--max-steps", "100"],
    ["pram", "run", "connectivity", "--n", "100000000", "--max-size", "16777216"],
    ["pram", "run", "connectivity", "--n", "65536"],
    ["pram", "run", "iterate", "--n", "100", "--max-steps", "3"],
    ["pram", "run", "sum", "--n", "100", "--max-size", "10"],
    ["reduce", "thm4", "--program", "sort", "--n", "1048576"],
    ["reduce", "thm1", "--program", "iterate", "--n", "65536"],
    ["reduce", "thm1", "--program", "sat", "--n", "14"],
    ["reduce", "thm4", "--program", "sum", "--n", "64", "--max-length", "10"],
    ["sudoku", "generate", "--count", "1000000000000"],
    ["sudoku", "table", "--count", "1000"],
    ["sudoku", "table", "--famous", "--max-steps", "1000"],
    ["sudoku", "solve", "--max-steps", "10", "." * 81],
    ["sudoku", "solve", "--max-steps", "2000000", "." * 81],
    ["maxflow", "table", "--count", "1000000000000"],
    ["dyck", "sample", "--length", "20000"],
    ["eval", "parity", "--oracle", "--lengths", "100000", "--count", "10000"],
]


def test_fit_hint_drops_flags_the_command_lacks() -> None:
    from machines.errors import LimitExceeded
    from proofs_check.cli import fit_hint

    exc = LimitExceeded(limit_name="max_length", limit=5, hint="--max-length")
    assert fit_hint(exc, {"--max-length"}) == str(exc)
    text = fit_hint(exc, {"--count"})
    assert "--max-length" not in text and "fixed" in text
    kw = LimitExceeded(limit_name="max_steps", limit=5, hint="the machine's max_steps= keyword or --max-steps")
    assert fit_hint(kw, {"--max-steps"}).endswith("raise it with --max-steps")


@pytest.mark.parametrize("argv", REFUSALS, ids=lambda a: " ".join(a)[:60])
def test_refusals_are_early_one_line_and_name_only_flags_the_command_has(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 400, err[:500]
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", err))
    assert named <= _command_flags(argv), (named, err)
    assert "max_steps=" not in err and "keyword" not in err  # no Python keyword offered as a flag


def test_huge_value_in_an_input_file_gives_a_short_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"n": 4, "edges": [[0] * 2_000_000]}))
    assert main(["pram", "run", "connectivity", "--input", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 400 and "2000000" in err


@pytest.mark.parametrize("doc", ["[" * 100_000, "{\"a\":" * 50_000, "[1, NaN]", "\"\\ud800\"x"])
def test_hostile_json_input_is_one_line(doc: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.json"
    path.write_text(doc)
    assert main(["pram", "run", "sum", "--input", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 400


def test_bad_puzzle_is_refused_before_the_trace_directory_is_made(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "t.jsonl"
    assert main(["sudoku", "solve", "--trace", str(target), "BAD"]) == 2
    assert not (tmp_path / "new").exists()


def test_generate_failure_message_names_no_none() -> None:
    from reductions.errors import InvalidInstance
    from reductions.tasks.sudoku_generate import generate_puzzle

    with pytest.raises(InvalidInstance) as info:
        generate_puzzle(givens=17, seed=0, max_attempts=1)
    assert "None" not in str(info.value) and "17 givens" in str(info.value)


def _powergen(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from proofs_check.cli import entry; sys.argv[0] = 'powergen'; entry()",
            *args]


def test_full_disk_is_one_line_exit_2() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(_powergen("pram", "list", "--json"), stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "No space left" in proc.stderr


def test_closed_pipe_ends_quietly_with_exit_0() -> None:
    proc = subprocess.Popen(_powergen("sudoku", "table", "--famous"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and len(head) == 10 and err == b""
