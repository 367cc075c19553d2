"""Every module and test file that the paper map (docs/_ext/paper_map_data.py) names exists: the map cannot rot."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).parent))
from docs_ext import REPO, load_ext  # noqa: E402


def _load_map() -> ModuleType:
    return load_ext("paper_map_data")


def test_every_named_path_exists() -> None:
    data = _load_map()
    missing = [(e.id, p) for e in data.ENTRIES for p in (*e.modules, *e.tests, e.check_module) if p
               and not (REPO / p.split("::", 1)[0]).exists()]
    assert missing == []


def test_every_theorem_has_tests_a_page_and_a_check() -> None:
    data = _load_map()
    for e in data.THEOREMS:
        assert e.tests and (REPO / "docs" / f"{e.page}.md").exists() and e.check_module, e.id


def test_one_page_per_machine() -> None:
    data = _load_map()
    pages = {page for page, _, _ in data.MACHINE_PAGES}
    for page in ("pram", "machine_arm", "machine_mdm", "machine_aomdm", "machine_masked_arm", "machine_apmdm"):
        assert page in pages and (REPO / "docs" / f"{page}.md").exists(), page
