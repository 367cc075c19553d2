"""Exceptions of the :mod:`reductions` package."""

from __future__ import annotations


class ReductionError(Exception):
    """Base class of every error raised by :mod:`reductions`."""


class UnsupportedProgram(ReductionError, ValueError):
    """A construction cannot take this program or access policy; the message says which it supports."""


class InstanceTooLarge(ReductionError, ValueError):
    """An instance would exceed a length or step cap; refused before anything is built."""

    def __init__(self, *, quantity: str, needed: int, limit: int, hint: str) -> None:
        self.quantity, self.needed, self.limit, self.hint = quantity, needed, limit, hint
        super().__init__(f"{quantity} would be {needed}, above the limit {limit}; raise it with {hint}")


class LockstepMismatch(ReductionError, RuntimeError):
    """A simulation diverged from the simulated machine (decoded state differs at some step)."""


class InvalidInstance(ReductionError, ValueError):
    """A task instance is malformed (bad puzzle, bad word, bad graph request, ...)."""
