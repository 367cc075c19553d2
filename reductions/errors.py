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


class ConstructionFault(ReductionError, RuntimeError):
    """A construction's own sequence is not in the form the construction builds (a bug in it, or a corrupted
    sequence): e.g. the separator of Theorem 4's layout is missing, or a masked cell has no write record."""

    def __init__(self, message: str, *, theorem: str, position: int | None = None) -> None:
        self.theorem, self.position = theorem, position
        super().__init__(message)


class ProgramFault(ReductionError, IndexError):
    """The simulated PRAM program did something the construction cannot encode: it reads or writes an address
    outside the memory ``0..S-1``.  The fields name the theorem, the access kind and the memory size."""

    def __init__(self, message: str, *, theorem: str, access: str, memory_size: int) -> None:
        self.theorem, self.access, self.memory_size = theorem, access, memory_size
        super().__init__(message)


class InvalidInstance(ReductionError, ValueError):
    """A task instance is malformed (bad puzzle, bad word, bad graph request, ...)."""
