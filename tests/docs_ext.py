"""Import the docs' Sphinx extension modules (``docs/_ext/*.py``) and repository scripts in tests, without Sphinx.

They are not packages, so they are loaded from their files once and cached in ``sys.modules`` under their name.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
EXT = REPO / "docs" / "_ext"


def load_file(name: str, path: Path) -> ModuleType:
    """The module ``name`` loaded from ``path`` (cached in ``sys.modules``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_ext(name: str) -> ModuleType:
    """``docs/_ext/<name>.py`` as the module ``name``."""
    return load_file(name, EXT / f"{name}.py")
