"""Every theorem 1-6 has a check command, a test file and a docs page (issue 8's theorem registry test).

One test per (theorem, artefact), so a failure names exactly what is missing, e.g.
``test_theorem_has[thm5-docs page]``.  Where each artefact is looked for:

- check: ``proofs_check/commands/check_thmN.py``, or any command module that registers ``powergen check thmN``;
- tests: the test files named for theorem N in ``docs/_ext/paper_map_data.py`` or ``reductions/registry.py``, any
  ``tests/**/test_*thmN*.py``, and every ``tests/...`` file the page ``docs/theoremN.md`` links;
- page: ``docs/theoremN.md``.

These tests import no Sphinx; they read the files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from docs_ext import load_ext  # noqa: E402

pmd = load_ext("paper_map_data")
THEOREMS = {e.number: e for e in pmd.entries() if e.kind == "theorem"}
KINDS = ("check command", "test file", "docs page")


def registered_checks() -> set[str]:
    """The names registered under ``powergen check`` (read from the real parser)."""
    from proofs_check.cli import build_parser

    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        out: dict[str, argparse.ArgumentParser] = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                out.update(action.choices)
        return out

    check = subcommands(build_parser()).get("check")
    return set(subcommands(check)) if check is not None else set()


def test_the_map_names_theorems_1_to_6() -> None:
    assert sorted(THEOREMS) == [1, 2, 3, 4, 5, 6]
    for n, e in THEOREMS.items():
        assert e.page == f"theorem{n}" and e.id == f"thm{n}"
        assert e.check_module == f"proofs_check/commands/check_thm{n}.py"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("number", sorted(THEOREMS), ids=lambda n: f"thm{n}")
def test_theorem_has(number: int, kind: str) -> None:
    entry = THEOREMS[number]
    if kind == "check command":
        module = REPO / entry.check_module
        if module.exists():
            return
        registered = registered_checks()
        assert f"thm{number}" in registered, (
            f"Theorem {number} has no check command: no {entry.check_module}, and `powergen check thm{number}` is "
            f"not registered (registered checks: {', '.join(sorted(registered)) or 'none'})")
    elif kind == "test file":
        found = pmd.discovered_tests(entry)
        assert found, (
            f"Theorem {number} has no test file: none of {', '.join(entry.tests + entry.extra_tests)} exists, no "
            f"tests/**/test_*thm{number}*.py exists, and docs/{entry.page}.md links no tests/ file "
            f"(add the test file's path to docs/_ext/paper_map_data.py or link it from the page with code-link)")
    else:
        page = pmd.page_path(entry.page)
        assert page.exists(), f"Theorem {number} has no docs page: {page.relative_to(REPO)} does not exist"
        text = page.read_text(encoding="utf-8")
        assert text.lstrip().startswith("# "), f"{page.relative_to(REPO)} must start with a '# Title' line"


@pytest.mark.parametrize("number", sorted(THEOREMS), ids=lambda n: f"thm{n}")
def test_theorem_page_links_its_tests_and_code(number: int) -> None:
    """A theorem page, once written, names a test file (test_docs_links checks that it exists) and links a module
    with code-link (the build checks that it exists)."""
    entry = THEOREMS[number]
    page = pmd.page_path(entry.page)
    if not page.exists():
        pytest.skip(f"docs/{entry.page}.md is not written yet (test_theorem_has reports it)")
    text = page.read_text(encoding="utf-8")
    tests = pmd.named_test_paths(text)
    code = [p for p in pmd.code_links(text) if p.split("/", 1)[0] in ("pram", "machines", "reductions", "proofs_check")]
    assert tests, f"docs/{entry.page}.md names no test file (write its path, e.g. `tests/test_x.py`, or code-link it)"
    assert code, f"docs/{entry.page}.md links no module with {{code-link}}`reductions/...` (or another package)"
