"""The vocabulary of the PRAM model: access policies, programs, set-ups, counters and recorded steps.

:mod:`pram.machine` re-exports every name defined here; import them from there.

A :class:`Program` is written so that **one processor's step can be re-executed on its own**: the cells it reads
are a function of ``(step, pid, registers)``, and its writes and new registers are a pure function of
``(step, pid, registers, values read)``.  Both functions are vectorised over the active processors and also work
for a single processor (``A = 1``).  Every register and every memory cell is an ``int64``; a processor carries
nothing between steps except its registers (column 0 is the program counter; ``pc < 0`` means halted).
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from pram.errors import InvalidInput

__all__ = ["Counters", "Policy", "PramRun", "PramStep", "Program", "Setup"]

I = TypeVar("I")  # noqa: E741  (the instance type of a program)

INT64_MAX = int(np.iinfo(np.int64).max)


class Policy(enum.StrEnum):
    """A concurrent-access policy, ordered by strength ``EREW < CREW < CRCW-common < CRCW-arbitrary < CRCW-priority``.

    A program correct under a policy is correct under every stronger one (a CRCW-common program never writes
    different values to one cell, so any winner is right; a program correct for an arbitrary winner is correct for
    the lowest-id winner).

    Examples
    --------
    >>> Policy.parse("crew").at_least(Policy.EREW)
    True
    >>> Policy.EREW.at_least(Policy.CRCW_COMMON)
    False
    """

    EREW = "erew"
    CREW = "crew"
    CRCW_COMMON = "crcw-common"
    CRCW_ARBITRARY = "crcw-arbitrary"
    CRCW_PRIORITY = "crcw-priority"

    @property
    def rank(self) -> int:
        """Position in the strength order (EREW = 0)."""
        return list(Policy).index(self)

    def at_least(self, other: Policy) -> bool:
        """True if this policy is at least as strong as ``other``."""
        return self.rank >= other.rank

    @property
    def concurrent_read(self) -> bool:
        return self is not Policy.EREW

    @classmethod
    def parse(cls, text: str | Policy) -> Policy:
        """The policy named ``text`` (e.g. ``"crcw-priority"``); :class:`InvalidInput` naming the known ones."""
        if isinstance(text, Policy):
            return text
        for p in cls:
            if p.value == text:
                return p
        known = ", ".join(p.value for p in cls)
        raise InvalidInput(f"unknown PRAM policy {text!r}; known policies: {known}")


@dataclass(frozen=True, slots=True)
class Setup:
    """Initial shared memory ``(S,)`` and initial registers ``(P, K)`` of a run, both ``int64``."""

    memory: np.ndarray
    registers: np.ndarray


@dataclass(frozen=True, slots=True)
class Counters:
    """Exact cost of a run.

    ``time`` is the number of parallel steps T, ``processors`` the peak number of active processors P, ``work`` the
    sum over steps of the active processors, ``reads``/``writes`` the ports actually used (every attempted access,
    before write-conflict resolution), ``memory`` the number of shared cells S.
    """

    time: int
    processors: int
    work: int
    reads: int
    writes: int
    memory: int

    def to_json(self) -> dict[str, int]:
        return {"time": self.time, "processors": self.processors, "work": self.work, "reads": self.reads,
                "writes": self.writes, "memory": self.memory}


@dataclass(frozen=True, slots=True)
class PramStep:
    """The machine after PRAM step ``t`` (1-based): memory ``(S,)``, registers ``(P, K)`` and the step's counts.

    With ``record_memory=True`` (the default) the arrays are copies; otherwise they are read-only views of the live
    state, valid until the trace generator is resumed.
    """

    t: int
    memory: np.ndarray
    registers: np.ndarray
    active: int
    reads: int
    writes: int


@dataclass(frozen=True, slots=True)
class PramRun:
    """The result of :meth:`pram.machine.PRAM.run`."""

    output: Any
    counters: Counters
    memory: np.ndarray
    steps: list[PramStep] | None


class Program(abc.ABC, Generic[I]):
    """A PRAM program (see the module docstring).  A program object holds no run state.

    Subclasses set the class attributes ``name``, ``min_policy``, ``citation``, ``num_registers`` (K, including the
    program counter in column 0), ``num_reads`` (R) and ``num_writes`` (W), plus ``default_max_size`` (the largest
    instance size the CLI accepts unless ``--max-size`` raises it).
    """

    name: ClassVar[str]
    min_policy: ClassVar[Policy]
    citation: ClassVar[str]
    num_registers: ClassVar[int]
    num_reads: ClassVar[int]
    num_writes: ClassVar[int]
    default_max_size: ClassVar[int] = 1 << 16
    input_format: ClassVar[str] = ""

    # -- instances -------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def parse_instance(self, obj: Any) -> I:
        """Validate a JSON-like object and return an instance; :class:`InvalidInput` listing every problem."""

    @abc.abstractmethod
    def random_instance(self, n: int, rng: np.random.Generator) -> I:
        """A random instance of size ``n``."""

    @abc.abstractmethod
    def instance_to_json(self, inst: I) -> Any:
        """The JSON form accepted by :meth:`parse_instance`."""

    @abc.abstractmethod
    def size(self, inst: I) -> int:
        """The instance size n reported by the CLI (and checked against ``--max-size``)."""

    # -- the machine program -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def setup(self, inst: I) -> Setup:
        """Initial memory (the encoded input) and initial registers (a function of pid and the instance size)."""

    @abc.abstractmethod
    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        """``int64 (A, R)`` addresses read by the active processors; -1 marks an unused port."""

    @abc.abstractmethod
    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(waddr (A, W), wval (A, W), new_regs (A, K))``, all ``int64``; ``waddr`` -1 marks an unused port."""

    @abc.abstractmethod
    def output(self, memory: np.ndarray, inst: I) -> Any:
        """The JSON-able answer read off the final memory."""

    @abc.abstractmethod
    def oracle(self, inst: I) -> Any:
        """The same answer computed by an independent plain sequential algorithm."""

    @abc.abstractmethod
    def exact_counters(self, inst: I) -> Counters:
        """The exact closed-form counters of a run on ``inst`` (asserted equal to the measured ones in tests)."""

    def __repr__(self) -> str:
        return f"<PRAM program {self.name!r} ({self.min_policy.value})>"
