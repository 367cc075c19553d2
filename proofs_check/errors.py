"""Exceptions of :mod:`proofs_check` (claims, sweeps, CLI input)."""

from __future__ import annotations


class CheckError(Exception):
    """Base class of every error raised by :mod:`proofs_check`."""


class InputFileError(CheckError, ValueError):
    """A file given on the command line is missing, not JSON, or has the wrong shape."""


class UsageError(CheckError, ValueError):
    """A command-line argument is invalid."""


class ClaimError(CheckError, ValueError):
    """A claim or bound is malformed (unknown theorem id, bad sympy expression, ...)."""
