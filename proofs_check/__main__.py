"""``python -m proofs_check`` is the ``powergen`` command."""

from proofs_check.cli import entry

entry()
