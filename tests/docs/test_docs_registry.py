"""Every theorem 1-6 has a check command, a test file and a docs page (issue 8's theorem registry test).

One test per (theorem, artefact), so a failure names exactly what is missing, e.g.
``test_theorem_has[thm5-docs page]``.  Where each artefact is looked for:

- check: ``proofs_check/commands/check_thmN.py``, or any command module that registers ``powergen check thmN``;
- tests: the test files named for theorem N in the one registry ``reductions/registry.py`` (read through
  ``docs/_ext/paper_map_data.py``), any ``tests/**/test_*thmN*.py``, and every ``tests/...`` file the page
  ``docs/theoremN.md`` links;
- page: ``docs/theoremN.md``.

These tests import no Sphinx; they read the files.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
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
            f"Theorem {number} has no test file: none of {', '.join(entry.tests)} exists, no "
            f"tests/**/test_*thm{number}*.py exists, and docs/{entry.page}.md links no tests/ file "
            f"(add the test file's path to reductions/registry.py)")
    else:
        page = pmd.page_path(entry.page)
        assert page.exists(), f"Theorem {number} has no docs page: {page.relative_to(REPO)} does not exist"
        text = page.read_text(encoding="utf-8")
        assert text.lstrip().startswith("# "), f"{page.relative_to(REPO)} must start with a '# Title' line"


@pytest.mark.parametrize("entry_id", [e.id for e in pmd.entries()])
def test_page_has_the_generated_where_it_lives_box(entry_id: str) -> None:
    """Every theorem, check and experiment page shows the registry's "Where it lives" list for its entry (generated
    at build time from reductions/registry.py, so the page cannot name a module or test the registry does not)."""
    entry = next(e for e in pmd.entries() if e.id == entry_id)
    text = pmd.page_path(entry.page).read_text(encoding="utf-8")
    boxes = re.findall(r"^```\{powergen-generate\} where-it-lives ([^\n]*)$", text, re.MULTILINE)
    assert any(entry_id in b.split() for b in boxes), (
        f"docs/{entry.page}.md has no `{{powergen-generate}} where-it-lives {entry_id}` block")
    assert "## Where it lives" in text, f"docs/{entry.page}.md has no '## Where it lives' section"


def test_where_it_lives_box_is_the_registry_entry() -> None:
    """The generated box names exactly the entry's modules, claims, tests, commands and tour step -- nothing else.

    The site extension imports docutils (the ``[docs]`` extra): skipped with that reason under ``[dev]`` alone, run
    by ``.ci/run``'s extras environment."""
    pytest.importorskip("docutils")
    site = load_ext("powergen_site")
    text = site.gen_where_it_lives(["thm4", "space"], "theorem4")
    from reductions.registry import get_entry

    for e in (get_entry("thm4"), get_entry("space")):
        for item in (*e.tests, *e.claims, *e.claim_modules, *e.commands, *e.tour_steps, e.check_module):
            assert item in text, (e.id, item)
    linked = set(pmd.code_links(text))
    named = {p for e in (get_entry("thm4"), get_entry("space")) for p in
             (*e.modules, *e.tests, *e.claim_modules, *e.tour_steps, e.check_module)} | {"reductions/registry.py"}
    assert linked == named, linked ^ named
    with pytest.raises(ValueError, match="unknown registry id"):
        site.gen_where_it_lives(["thm7"], "theorem4")
