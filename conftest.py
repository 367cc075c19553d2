"""Repository-level pytest set-up: doctests of the packages are collected (see pyproject's testpaths) except for
entry-point modules that would run on import."""

collect_ignore = ["proofs_check/__main__.py", "docs", "scripts", ".venv", ".venv-ci"]
