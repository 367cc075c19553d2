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
    rc = main(["tour", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "powergen.tour/1"
    assert rc == (0 if doc["ok"] else 1)
