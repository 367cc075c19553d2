"""The paper map (docs/_ext/paper_map_data.py) is the registry's rows, and every path it shows exists."""

from __future__ import annotations

from types import ModuleType

from docs_ext import REPO, load_ext  # noqa: E402


def _load_map() -> ModuleType:
    return load_ext("paper_map_data")


def test_every_named_path_exists() -> None:
    data = _load_map()
    missing = [(e.id, p) for e in data.ENTRIES for p in (*data.module_targets(e), *e.tests, e.check_module) if p
               and not (REPO / p.split("::", 1)[0]).exists()]
    assert missing == []


def test_the_map_reads_the_one_registry() -> None:
    """No second table: the docs' rows are the very objects of reductions.registry."""
    from reductions import registry

    data = _load_map()
    assert data.ENTRIES is registry.ENTRIES and data.entries() is registry.ENTRIES
    assert "Entry(" not in (REPO / "docs" / "_ext" / "paper_map_data.py").read_text(encoding="utf-8")


def test_every_theorem_has_tests_a_page_and_a_check() -> None:
    data = _load_map()
    for e in data.THEOREMS:
        assert e.tests and (REPO / "docs" / f"{e.page}.md").exists() and e.check_module, e.id


def test_one_page_per_machine() -> None:
    data = _load_map()
    pages = {page for page, _, _ in data.MACHINE_PAGES}
    for page in ("pram", "machine_arm", "machine_mdm", "machine_aomdm", "machine_masked_arm", "machine_apmdm"):
        assert page in pages and (REPO / "docs" / f"{page}.md").exists(), page
