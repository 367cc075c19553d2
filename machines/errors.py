"""Exceptions of the :mod:`machines` package (one hierarchy, each also a matching builtin)."""

from __future__ import annotations


class MachineError(Exception):
    """Base class of every error raised by :mod:`machines`."""


class VocabularyError(MachineError, ValueError):
    """Unknown token name or id, duplicate names, or a missing special token."""


class MachineConfigError(MachineError, ValueError):
    """A machine was built with invalid arguments, or given a start sequence its paradigm cannot take."""


class TransitionError(MachineError, ValueError):
    """Arguments of the transition ``g`` are inconsistent (lengths, dtypes) or ``y`` is MASK where it is used."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)


class DisciplineViolation(MachineError, RuntimeError):
    """A predictor broke the rule of its paradigm (e.g. an MDM rewrote a decoded token).

    Fields: ``paradigm``, ``step``, ``position`` (``None`` when the rule is about the whole step) and ``rule``.
    """

    def __init__(self, *, paradigm: str, step: int, position: int | None, rule: str) -> None:
        self.paradigm, self.step, self.position, self.rule = paradigm, step, position, rule
        where = f", position {position}" if position is not None else ""
        super().__init__(f"{paradigm} step {step}{where}: {rule}")


class LimitExceeded(MachineError, RuntimeError):
    """A resource cap (steps, length) was hit; the message names the cap and how to raise it."""

    def __init__(self, *, limit_name: str, limit: int, hint: str) -> None:
        self.limit_name, self.limit, self.hint = limit_name, limit, hint
        super().__init__(f"{limit_name} of {limit} exceeded; raise it with {hint}")


class TraceError(MachineError, ValueError):
    """A trace file is malformed (bad JSON, unknown token, wrong lengths, missing header)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class OutputError(MachineError, OSError):
    """An output file cannot be written (a directory, a missing permission, a read-only file system, ...)."""


class CheckpointError(MachineError, ValueError):
    """A checkpoint directory is missing, empty, incomplete, corrupt or inconsistent, or cannot be used as asked.

    Fields: ``directory`` and ``problems`` (every problem found, in order).  The message is one line naming the
    directory and the first problems (bounded in length; ``problems`` keeps them all).
    """

    MAX_MESSAGE = 600

    def __init__(self, *, directory: str, problems: list[str]) -> None:
        self.directory, self.problems = directory, list(problems)
        shown = "; ".join(" ".join(p.split()) for p in self.problems)
        head = f"checkpoint {directory[:200]}: "
        if len(head) + len(shown) > self.MAX_MESSAGE:
            shown = shown[: self.MAX_MESSAGE - len(head) - 3] + "..."
        super().__init__(head + shown)
