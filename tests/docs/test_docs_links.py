"""The docs point only at things that exist: code-link targets, test files, benchmark records, CLI examples.

The Sphinx build checks the same code-link targets (a missing one fails ``sphinx-build -W``); this test does it
without Sphinx, fast, on every docs page, including pages that are not in the build (``docs/bench/*.md``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
from docs_ext import load_ext  # noqa: E402

pmd = load_ext("paper_map_data")
paths = load_ext("powergen_paths")

PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)
BENCH = sorted((DOCS / "bench").glob("*.md")) if (DOCS / "bench").is_dir() else []


def _ids(p: Path) -> str:
    return p.relative_to(DOCS).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=_ids)
def test_every_code_link_target_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    problems = []
    for line, role in pmd.code_link_roles(text):
        _, _, found = paths.check_code_target(REPO, pmd.code_link_full_target(role))
        problems += [f"{_ids(page)}:{line}: {p}" for p in found]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", [*PAGES, REPO / "README.md"], ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_test_file_named_exists(page: Path) -> None:
    missing = [p for p in pmd.named_test_paths(page.read_text(encoding="utf-8")) if not (REPO / p).is_file()]
    assert not missing, f"{page.relative_to(REPO)} names test files that do not exist: {', '.join(missing)}"


@pytest.mark.parametrize("page", BENCH, ids=_ids)
def test_benchmark_record_has_date_and_command(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    problems = []
    if not text.lstrip().startswith("# "):
        problems.append("no '# Title' first line")
    if not re.search(r"\b20\d\d-[01]\d-[0-3]\d\b", text):
        problems.append("no date of measurement (YYYY-MM-DD)")
    code = re.findall(r"`+([^`]+)`+", text) + re.findall(r"^(?: {4}|\t)(.+)$", text, re.MULTILINE)
    if not any(re.search(r"\b(pytest|powergen|python3?)\b", c) for c in code):
        problems.append("no command (in backticks or a code block) that runs pytest, python or powergen")
    assert not problems, f"{_ids(page)}: " + "; ".join(problems)


def test_paper_map_entries_are_consistent() -> None:
    ids = [e.id for e in pmd.ENTRIES]
    pages = [e.page for e in pmd.ENTRIES if e.kind != "check"]  # a check (space) shares its theorem's page
    assert len(set(ids)) == len(ids) and len(set(pages)) == len(pages)
    for e in pmd.ENTRIES:
        letter = e.provenance.split(":", 1)[0]
        assert letter in pmd.PROVENANCE, f"{e.id}: unknown provenance tag {e.provenance!r}"
        assert all(c.startswith("powergen ") for c in e.commands), e.id
        assert all(not p.startswith(("/", "..")) for p in e.modules + e.tests), e.id


def test_code_target_checker() -> None:
    ok = paths.check_code_target(REPO, "proofs_check/cli.py::build_parser")
    assert ok == ("proofs_check/cli.py", "build_parser", [])
    assert paths.check_code_target(REPO, "proofs_check/cli.py::_Parser.error")[2] == []
    assert paths.check_code_target(REPO, "proofs_check/cli.py::no_such_function")[2]
    assert paths.check_code_target(REPO, "no/such/file.py")[2]
    assert paths.check_code_target(REPO, "../etc/passwd")[2]
    assert paths.check_code_target(REPO, "proofs_check")[2] == []  # a directory
    assert paths.module_name("reductions/tasks/__init__.py") == "reductions.tasks"
    assert paths.module_name("tests/proofs_check/test_cli_basics.py") is None


def test_strip_code_blocks_keeps_directives_but_blanks_literal_code() -> None:
    md = "\n".join(["{code-link}`a.py`", "````", "```{prf:theorem} 1", "{code-link}`b.py`", "```", "````",
                    "```{reconstruction}", "{code-link}`c.py`", "```", "```python", "{code-link}`d.py`", "```"])
    assert pmd.code_links(md) == ["a.py", "c.py"]
    assert pmd.code_link_target("title <x/y.py::f>") == "x/y.py"


_FILE_NAME = re.compile(r"(?<![\w/.-])((?:\.\./)*(?:[\w.-]+/)*[\w.-]+\.md)(?![\w/-])")
_ROOTED = re.compile(r"(?<![\w/.-])((?:pram|machines|reductions|proofs_check|tests|scripts|docs)/[\w./<>-]*[\w>-])"
                     r"(?![\w/-])")
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")


def _placeholder(path: str) -> bool:
    """``docs/theoremN.md``, ``tests/docs/golden/NAME.out``, ``tests/....py``, ``<module>``: a pattern written for the
    reader, not a file."""
    return bool(re.search(r"[a-z]N\b|[a-z]N\.|/(?:NAME|TASK|FILE|PATH|DIR)\.|\.\.\.\.|[<>*{}]", path))


def _resolves(page: Path, target: str) -> bool:
    target = target.split("#", 1)[0].split("::", 1)[0]
    if target.startswith(("docs/_build/", "_build/")):
        return True  # the output of the docs build, named for the reader; it exists only after a build
    if not target:
        return True
    root = REPO.resolve()
    # a target must exist inside the repository: ``../shared/PAPER.md`` may exist beside a checkout, not in it
    return any((base / target).exists() and (base / target).resolve().is_relative_to(root)
               for base in (page.parent, DOCS, REPO))


@pytest.mark.parametrize("page", [*PAGES, REPO / "README.md"], ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_page_references_a_file_that_is_not_in_the_repository(page: Path) -> None:
    """Every ``*.md`` named anywhere on a page (code blocks too: ``PAPER.md`` lived outside the repository), every
    repository path (``reductions/...``, ``tests/...``, ...) outside literal code, and every local Markdown link
    target exists."""
    text = page.read_text(encoding="utf-8")
    prose = pmd.strip_code_blocks(text)
    problems = []
    for regex, source in ((_FILE_NAME, text), (_ROOTED, prose), (_LINK, prose)):
        for m in regex.finditer(source):
            target = m.group(1)
            if regex is _LINK and re.match(r"[a-z]+:", target):
                continue  # http:, mailto: ...
            if _placeholder(target) or _resolves(page, target):
                continue
            problems.append(f"{page.relative_to(REPO)}:{source.count(chr(10), 0, m.start()) + 1}: {target}")
    assert not problems, "references to files that are not in the repository:\n" + "\n".join(problems)


def test_the_reference_check_catches_a_missing_file(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    assert not _resolves(page, "../shared/PAPER.md") and not _placeholder("../shared/PAPER.md")
    assert not _resolves(page, "PAPER.md") and _FILE_NAME.search("see PAPER.md §2").group(1) == "PAPER.md"
    assert _resolves(page, "reductions/registry.py") and not _resolves(page, "reductions/no_such.py")
    assert _placeholder("docs/theoremN.md") and not _placeholder("docs/theorem4.md")
    assert _ROOTED.search("write docs/experiment_<task>.md").group(1) == "docs/experiment_<task>.md"


_VERSION = re.compile(r"\bv\d{8}-[0-9a-f]{16}\b")  # a checkpoint version folder (machines/neural/checkpoint.py)


@pytest.mark.parametrize("page", [*PAGES, REPO / "README.md"], ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_checkpoint_version_named_is_a_folder_in_the_repository(page: Path) -> None:
    """A version name shown as an example is the one a committed checkpoint really has: a re-saved checkpoint gets a
    new name (its manifest's hash), and the page must follow it."""
    have = {p.name for p in REPO.glob("reductions/**/v*") if p.is_dir()} | {
        p.name for p in REPO.glob("proofs_check/**/v*") if p.is_dir()}
    text = page.read_text(encoding="utf-8")
    stale = sorted({m.group(0) for m in _VERSION.finditer(text)} - have)
    assert not stale, f"{page.relative_to(REPO)} names checkpoint versions no folder has: {stale}"


@pytest.mark.parametrize("page", [*PAGES, REPO / "README.md"], ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_progress_or_shipped_folder_named_exists(page: Path) -> None:
    """A page that points at a committed run in progress or a shipped model points at one that is there (a
    progress folder is removed when its run finishes and ships)."""
    text = page.read_text(encoding="utf-8")
    named = set(re.findall(r"`(proofs_check/experiments/(?:progress|shipped)/[A-Za-z0-9_./-]+?)/?`", text))
    missing = sorted(p for p in named if "NAME" not in p and "TASK" not in p and not (REPO / p).exists())
    assert not missing, missing
