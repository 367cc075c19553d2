"""Sphinx configuration of the powergen docs.

Build (offline, warnings are errors)::

    .venv/bin/sphinx-build -W -b html docs docs/_build/html

Pages are MyST Markdown.  The local extensions in ``docs/_ext`` add the ``code-link``, ``cli``, ``page`` and ``prov``
roles (``powergen_links``) and the ``powergen-toctree`` / ``powergen-generate`` directives (``powergen_site``); see
docs/README_docs.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
for p in (str(DOCS / "_ext"), str(REPO)):
    if p not in sys.path:
        sys.path.insert(0, p)

from proofs_check import __version__  # noqa: E402  (the path is set just above)

project = "powergen"
author = "the powergen authors"
copyright = "2026, the powergen authors"  # noqa: A001
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx_proof",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "powergen_links",
    "powergen_site",
    "powergen_viewer",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "bench/*", "README.md", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# Offline: no intersphinx, nothing fetched at build time.
myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath", "deflist", "attrs_inline", "substitution"]
myst_heading_anchors = 3

# API pages from numpy-style docstrings.
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # "Attributes" sections as fields: no duplicate descriptions of dataclass fields
napoleon_use_rtype = False

# Theorems are titled with the paper's own numbers (":nonumber:"), so a missing page never renumbers the others.
proof_minimal_theme = False
proof_title_format = " %t"  # {prf:theorem} 4 (title) renders "Theorem 4 (title)"

html_theme = "alabaster"
html_title = f"powergen {release}"
html_static_path = ["_static"]
html_css_files = ["powergen.css"]
html_theme_options = {
    "description": "Exact machines, constructions and checks for 'On Powerful Ways to Generate'",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
