"""Exceptions of the :mod:`pram` package.

Every error raised by ``pram`` derives from :class:`PramError` and also from the builtin that matches its kind
(``ValueError`` for bad definitions and inputs, ``IndexError`` for bad addresses, ``RuntimeError`` for run-time
limits and conflicts), following the style of hypothesis' ``InvalidArgument(TypeError)``.  Errors carry structured
fields so that callers (and tests) can inspect them without parsing messages.
"""

from __future__ import annotations

from collections.abc import Sequence


class PramError(Exception):
    """Base class of every error raised by :mod:`pram`."""


class InvalidProgram(PramError, ValueError):
    """A PRAM program is malformed (wrong shapes, bad register counts, ...).

    ``problems`` lists every problem found, so that a validator can report them all at once.
    """

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("invalid PRAM program: " + "; ".join(self.problems))


class InvalidInput(PramError, ValueError):
    """An input instance does not fit a program (wrong type, negative size, too large, ...)."""


class AddressOutOfRange(PramError, IndexError):
    """A processor read or wrote a cell outside shared memory."""

    def __init__(self, *, step: int, processor: int, address: int, size: int, kind: str) -> None:
        self.step, self.processor, self.address, self.size, self.kind = step, processor, address, size, kind
        super().__init__(
            f"step {step}: processor {processor} {kind}s address {address}, outside memory of {size} cells"
        )


class AccessConflict(PramError, RuntimeError):
    """An access pattern violates the machine's concurrency policy (EREW, CREW, CRCW-common)."""

    def __init__(self, *, step: int, cell: int, processors: Sequence[int], kind: str, policy: str) -> None:
        self.step, self.cell, self.kind, self.policy = step, cell, kind, policy
        self.processors: tuple[int, ...] = tuple(int(p) for p in processors)
        super().__init__(
            f"step {step}: concurrent {kind} of cell {cell} by processors {list(self.processors)} "
            f"is not allowed under {policy}"
        )


class StepLimitExceeded(PramError, RuntimeError):
    """The machine ran for more steps than its ``max_steps`` limit."""

    def __init__(self, *, limit: int, hint: str = "max_steps") -> None:
        self.limit = limit
        super().__init__(f"the PRAM did not halt within {limit} steps; raise the limit with {hint}")


class InvalidSeed(PramError, ValueError):
    """A seed is neither a non-negative int nor a ``numpy.random.Generator``."""
