"""Benchmark pages quote only benchmarks that exist (issue 17).

Every ``docs/bench/*.md`` page gives the command that produced its numbers.  A command that runs ``-m benchmark``
must name test files that exist and still hold a benchmark (a ``pytest.mark.benchmark`` test), and every test
function a page names (``test_...``) must still be defined in tests/.  A benchmark renamed or deleted without its
page being updated fails here, and so does a generated table (``<!-- bench:begin GROUP -->``) whose group no
benchmark declares any more (``scripts/bench_pages.py --check``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "bench").glob("*.md"))
TEST_SOURCES = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py")}


def _commands(text: str) -> list[str]:
    """Shell commands of a page, with backslash continuations joined."""
    return [c for c in re.sub(r"\\\n\s*", " ", text).splitlines() if "pytest" in c and "-m benchmark" in c]


def test_there_are_pages_with_commands() -> None:
    assert PAGES and any(_commands(p.read_text(encoding="utf-8")) for p in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_benchmark_commands_name_existing_benchmarks(page: Path) -> None:
    for cmd in _commands(page.read_text(encoding="utf-8")):
        files = re.findall(r"(tests/[\w./]+\.py)", cmd)
        assert files, f"{page.name}: a benchmark command names no test file: {cmd}"
        for name in files:
            assert name in TEST_SOURCES, f"{page.name} quotes {name}, which does not exist"
            assert "mark.benchmark" in TEST_SOURCES[name], f"{page.name}: {name} holds no benchmark any more"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_named_test_functions_exist(page: Path) -> None:
    for name in set(re.findall(r"`(test_\w+)", page.read_text(encoding="utf-8"))):
        assert any(re.search(rf"def {name}\b", src) for src in TEST_SOURCES.values()), \
            f"{page.name} names {name}, which no test file defines"


def test_generated_tables_name_groups_that_exist() -> None:
    from docs_ext import load_file

    bench_pages = load_file("bench_pages", ROOT / "scripts" / "bench_pages.py")
    assert bench_pages.check() == []
    assert sum(len(bench_pages.blocks(p.read_text(encoding="utf-8"))) for p in bench_pages.pages()) >= 1
