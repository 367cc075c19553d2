"""CLI sub-commands.  Each module here defines ``register(subparsers) -> None``; :mod:`proofs_check.cli`
discovers them in name order, so adding a command never edits a shared file."""
