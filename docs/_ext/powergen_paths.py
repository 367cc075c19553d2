"""Pure helpers (no Sphinx import) shared by the docs extensions and the docs tests: code-link targets.

A ``code-link`` target is ``path`` or ``path::name`` with ``path`` relative to the repository root; ``name`` is a
dotted name defined in the file (``func``, ``Class``, ``Class.method``, ``CONSTANT``).  The file is parsed with
:mod:`ast`, never imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = ("pram", "machines", "reductions", "proofs_check")


def defined_names(source: str) -> set[str]:
    """Dotted names defined in a Python module: top-level defs, classes, assignments, and class members."""
    tree = ast.parse(source)
    names: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(prefix + stmt.name)
            elif isinstance(stmt, ast.ClassDef):
                names.add(prefix + stmt.name)
                visit(stmt.body, prefix + stmt.name + ".")
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            names.add(prefix + n.id)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names.add(prefix + stmt.target.id)
            elif isinstance(stmt, ast.If | ast.Try):
                visit(stmt.body, prefix)
                for extra in getattr(stmt, "orelse", []), getattr(stmt, "finalbody", []):
                    visit(extra, prefix)
                for h in getattr(stmt, "handlers", []):
                    visit(h.body, prefix)

    visit(tree.body, "")
    return names


def check_code_target(root: Path, target: str) -> tuple[str, str, list[str]]:
    """Split ``path::obj`` and return ``(path, obj, problems)``; ``problems`` is empty when the target exists."""
    path, _, obj = target.partition("::")
    path, obj = path.strip(), obj.strip()
    problems: list[str] = []
    if not path:
        return path, obj, ["empty path"]
    if path.startswith("/") or ".." in Path(path).parts:
        return path, obj, [f"{path!r} must be relative to the repository root, without '..'"]
    full = root / path
    if not full.exists():
        problems.append(f"{path} does not exist in the repository")
    elif obj:
        if full.suffix != ".py" or not full.is_file():
            problems.append(f"{path} is not a Python file, so '::{obj}' cannot be checked")
        else:
            try:
                names = defined_names(full.read_text(encoding="utf-8"))
            except SyntaxError as exc:
                problems.append(f"{path} does not parse: {exc}")
            else:
                if obj not in names:
                    problems.append(f"{path} defines no {obj!r}")
    return path, obj, problems


def module_name(path: str) -> str | None:
    """The importable module name of a package file (``reductions/pram_to_mdm.py`` -> ``reductions.pram_to_mdm``)."""
    p = Path(path)
    if not p.parts or p.parts[0] not in PACKAGES:
        return None
    if p.suffix == ".py":
        parts = list(p.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)
    if not p.suffix:  # a package directory
        return ".".join(p.parts)
    return None
