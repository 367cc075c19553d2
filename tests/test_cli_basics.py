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


def test_command_index_agrees_with_the_full_parser() -> None:
    """The source-read index names every top-level command of the full parser, and the modules it names are the
    ones that register that command (each alone builds a parser that has it)."""
    import argparse

    from proofs_check.cli import build_parser, command_index

    def top_choices(p: argparse.ArgumentParser) -> set[str]:
        acts = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        return set(acts[0].choices) if acts else set()

    index = command_index()
    assert index and set(index) == top_choices(build_parser())
    for name, modules in index.items():
        assert command_index(name).get(name) == modules  # the filtered read (what main uses) finds the same modules
        assert name in top_choices(build_parser(modules))
        for m in modules:  # a module the index assigns to `name` registers nothing else
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
