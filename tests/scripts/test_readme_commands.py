"""scripts/readme_commands.py and .ci/run: CI executes the README's two commands, read out of README.md at run time."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docs_ext import REPO, load_file  # noqa: E402

rc = load_file("readme_commands", REPO / "scripts" / "readme_commands.py")

TOUR = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]" && .venv/bin/powergen tour'
TESTS = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]" && .venv/bin/python -m pytest -n 2 -q'


def test_the_readme_commands_are_the_documented_ones() -> None:
    """The two lines the README shows a new user (written out here, not read from the parser)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert rc.readme_commands(text) == [TOUR, TESTS]
    assert f"\n    {TOUR}\n" in text and f"\n    {TESTS}\n" in text


@pytest.mark.parametrize(("text", "message"), [
    ("# title\n\nno commands at all\n", "0 indented command line(s)"),
    (f"# t\n\n    {TOUR}\n", "1 indented command line(s)"),
    (f"# t\n\n    {TESTS}\n\n    {TOUR}\n", "set-up + tour command should"),
    (f"# t\n\n    {TOUR}\n\n    pytest -q\n", "set-up + tests command should"),
    (f"# t\n\n```\n    {TOUR}\n    {TESTS}\n```\n", "0 indented command line(s)"),
])
def test_missing_or_misplaced_commands_are_an_error(text: str, message: str) -> None:
    with pytest.raises(rc.ReadmeCommandsError, match=re.escape(message)):
        rc.readme_commands(text)


def test_list_items_and_fences_are_not_commands() -> None:
    text = f"- item\n    continued item\n\n```\n    fenced\n```\n\n    {TOUR}\n\n    {TESTS}\n\n    third\n"
    assert rc.readme_commands(text) == [TOUR, TESTS]


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert rc.main([str(REPO / "README.md")]) == 0
    assert capsys.readouterr().out.splitlines() == [TOUR, TESTS]
    bad = tmp_path / "README.md"
    bad.write_text("nothing\n", encoding="utf-8")
    assert rc.main([str(bad)]) == 2
    assert rc.main([str(tmp_path / "missing.md")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "cannot read" in err


def ci_copy(tmp_path: Path, readme: str) -> Path:
    """A minimal copy of the repository: .ci/run, the parser and a given README."""
    (tmp_path / ".ci").mkdir()
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / ".ci" / "run", tmp_path / ".ci" / "run")
    shutil.copy2(REPO / "scripts" / "readme_commands.py", tmp_path / "scripts" / "readme_commands.py")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    return tmp_path / ".ci" / "run"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_runs_whatever_the_readme_says(tmp_path: Path) -> None:
    """.ci/run reads the commands at run time: a README with changed commands changes what CI would execute."""
    changed = [TOUR.replace("tour", "tour --json"), TESTS.replace("-n 2 -q", "-q -x")]
    run = ci_copy(tmp_path, f"# t\n\nTour:\n\n    {changed[0]}\n\nTests:\n\n    {changed[1]}\n")
    out = subprocess.run(["bash", str(run), "--print-commands"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == changed


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ci_fails_loudly_without_the_readme_commands(tmp_path: Path) -> None:
    run = ci_copy(tmp_path, "# a README whose commands were removed\n")
    out = subprocess.run(["bash", str(run)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "cannot find the README's" in out.stderr and "0 indented command line(s)" in out.stderr
    assert out.stdout == ""  # nothing was executed
