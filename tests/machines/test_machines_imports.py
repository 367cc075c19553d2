"""The layering rule for :mod:`machines`: nothing in it imports :mod:`reductions` or :mod:`proofs_check`.

Both the code and the docstrings are scanned: an ``import`` statement anywhere in a module (found with ``ast``, so
imports inside functions count) and an import written in a doctest (``>>> from reductions ...``), since doctests run
in CI and an upward import there ties the lower package to the higher one just the same.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HIGHER = ("reductions", "proofs_check")
DOCTEST_IMPORT = re.compile(r"^\s*(?:>>>|\.\.\.)\s+(?:from|import)\s+([A-Za-z_][\w.]*)", re.MULTILINE)


def upward_imports(source: str) -> list[str]:
    """The modules of :data:`HIGHER` that ``source`` imports, in code or in doctest lines."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    found += DOCTEST_IMPORT.findall(source)
    return sorted({m for m in found if m.split(".")[0] in HIGHER})


def test_scanner_sees_every_form_of_import() -> None:
    # planted upward imports in each form the scan must catch, and look-alikes it must not flag
    assert upward_imports("import reductions.tasks\n") == ["reductions.tasks"]
    assert upward_imports("def f():\n    from proofs_check.cli import main\n") == ["proofs_check.cli"]
    assert upward_imports('"""\n>>> from reductions.tasks.parity import ParityTask\n"""\n') == [
        "reductions.tasks.parity"]
    assert upward_imports("import machines.vocab\nfrom pram.errors import PramError\nx = 'reductions'\n") == []
    assert upward_imports("from reductions_extra import y\n") == []


@pytest.mark.parametrize("path", sorted((ROOT / "machines").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_machines_import_nothing_higher(path: Path) -> None:
    assert upward_imports(path.read_text(encoding="utf-8")) == [], f"{path.relative_to(ROOT)} imports a higher layer"
