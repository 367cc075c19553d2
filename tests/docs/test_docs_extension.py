"""The docs extensions on a tiny Sphinx project (not the real docs, which CI builds with ``sphinx-build -W``).

Checks that a missing code-link target or a bad command is a build warning (so ``-W`` fails), and that the
tolerant parts (``{page}`` to a missing page, ``powergen-toctree`` entries that do not exist) are not.  Skipped when
Sphinx is not installed (it is the ``docs`` extra).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytestmark = pytest.mark.filterwarnings("ignore:.*BuildEnvironment.app.* is deprecated")  # sphinx-proof's, not ours

REPO = Path(__file__).resolve().parents[2]

CONF = f"""
import sys
sys.path.insert(0, {str(REPO / "docs" / "_ext")!r})
sys.path.insert(0, {str(REPO)!r})
extensions = ["myst_parser", "sphinx_proof", "powergen_links", "powergen_site"]
exclude_patterns = ["_build"]
proof_title_format = " %t"
"""


def build(tmp_path: Path, pages: dict[str, str]) -> str:
    """Build ``pages`` (docname -> Markdown) and return the warnings."""
    from sphinx.application import Sphinx

    root = tmp_path / "proj"
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "conf.py").write_text(CONF, encoding="utf-8")
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("def f():\n    pass\n\n\nclass C:\n    def m(self):\n        pass\n",
                                         encoding="utf-8")
    for name, text in pages.items():
        (docs / f"{name}.md").write_text(text, encoding="utf-8")
    warnings = io.StringIO()
    app = Sphinx(str(docs), str(docs), str(root / "_build"), str(root / "_build" / ".doctrees"), "html",
                 status=None, warning=warnings, freshenv=True)
    app.build()
    shutil.rmtree(root / "_build", ignore_errors=True)
    return warnings.getvalue()


INDEX = """# Index

```{powergen-toctree}
:caption: Pages

present
missing_page
theorem*
```
"""


def test_tolerant_parts_do_not_warn(tmp_path: Path) -> None:
    page = """# Present

{code-link}`pkg/mod.py` {code-link}`pkg/mod.py::f` {code-link}`the method <pkg/mod.py::C.m>` {code-link}`pkg`
{cli}`powergen tour --json` {page}`missing_page` {page}`Present <present>` {prov}`V:moonlight` {prov}`I`

```{prf:theorem} 4 (a statement)
:label: t-4
:nonumber:

Text.
```

```{reconstruction}
Ours.
```

```
{code-link}`inside/a/code/block.py` is not a role
```
"""
    assert build(tmp_path, {"index": INDEX, "present": page, "theorem9": "# T9\n"}) == ""


@pytest.mark.parametrize(("role", "message"), [
    ("{code-link}`pkg/nope.py`", "pkg/nope.py does not exist"),
    ("{code-link}`pkg/mod.py::g`", "defines no 'g'"),
    ("{code-link}`../etc/passwd`", "without '..'"),
    ("{cli}`powergen no-such-command`", "not a valid powergen command"),
    ("{cli}`ls -l`", "does not start with 'powergen'"),
    ("{prov}`X`", "unknown provenance tag"),
])
def test_broken_references_warn(tmp_path: Path, role: str, message: str) -> None:
    warnings = build(tmp_path, {"index": INDEX, "present": f"# Present\n\n{role}\n"})
    assert message in warnings, warnings
