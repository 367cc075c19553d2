"""The synchronous PRAM, vectorised with numpy.

Every step: the active processors (``pc >= 0``) give their read addresses; all reads see memory as of the start of
the step; each processor computes its writes and new registers from its registers and the values read; then the
write phase applies the writes under the access policy.  No processor sees a value written in the same step.  The
run stops when no processor is active; T is the number of steps executed.

Examples
--------
>>> from pram.programs import get_program
>>> prog = get_program("prefix-sums")
>>> run = PRAM(program=prog, policy=Policy.EREW).run(prog.parse_instance({"values": [3, 1, 4, 1, 5]}))
>>> run.output, run.counters.time
([3, 4, 8, 9, 14], 4)

Notes
-----
One step costs O(A (R + W + K) + S) numpy work (a bincount over the memory detects conflicts; only when one is found
is the slower sort-based analysis run).  This machine is the PRAM of Theorems 1 and 4.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import numpy as np

from pram.access import check_range, check_reads, resolve_writes
from pram.errors import InvalidInput, InvalidProgram, StepLimitExceeded
from pram.model import Counters, Policy, PramRun, PramStep, Program, Setup
from pram.rng import SeedLike, as_generator

__all__ = ["DEFAULT_MAX_STEPS", "PRAM", "Counters", "Policy", "PramRun", "PramStep", "Program", "Setup",
           "check_int64_array", "validate_setup",
           "validate_step_output"]

DEFAULT_MAX_STEPS = 1_000_000


class PRAM:
    """A PRAM running one program under one access policy.

    Parameters
    ----------
    program : Program
        The program (holds no run state).
    policy : Policy or str
        Must be at least ``program.min_policy``.
    max_steps : int
        :class:`~pram.errors.StepLimitExceeded` if processors are still active after this many steps.
    seed : int or numpy Generator, optional
        Chooses the winners under CRCW-arbitrary (a fresh generator from an int seed at every run; a Generator
        is used as it is, so successive runs continue its stream).

    Examples
    --------
    >>> from pram.programs import get_program
    >>> prog = get_program("connectivity")
    >>> machine = PRAM(program=prog, policy="crcw-priority")
    >>> inst = prog.parse_instance({"n": 4, "edges": [[0, 2], [3, 2]]})
    >>> [step.active for step in machine.trace(inst)][:3]
    [8, 8, 8]
    >>> machine.run(inst).output
    {'components': [[0, 2, 3], [1]]}

    Notes
    -----
    Exact counters (T, P, work, reads, writes, S) for Theorems 1 and 4, whose constructions re-execute the same
    per-processor step this machine runs vectorised.
    """

    def __init__(self, *, program: Program[Any], policy: Policy | str | None = None,
                 max_steps: int = DEFAULT_MAX_STEPS, seed: SeedLike = 0) -> None:
        if not isinstance(program, Program):
            raise InvalidProgram(f"program must be a pram Program, got {type(program).__name__}")
        pol = program.min_policy if policy is None else Policy.parse(policy)
        if not pol.at_least(program.min_policy):
            raise InvalidInput(f"program {program.name!r} needs at least {program.min_policy.value}, "
                               f"not {pol.value}")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
            raise InvalidInput(f"max_steps must be a non-negative int, got {max_steps!r}")
        self.program, self.policy, self.max_steps, self.seed = program, pol, max_steps, seed

    def __repr__(self) -> str:
        return f"PRAM(program={self.program.name!r}, policy={self.policy.value!r}, max_steps={self.max_steps})"

    # ------------------------------------------------------------------------------------------------------------
    def trace(self, inst: Any, *, record_memory: bool = True) -> Iterator[PramStep]:
        """Yield a :class:`PramStep` after every step t = 1..T."""
        yield from self._steps(inst, emit=True, copy=record_memory)

    def run(self, inst: Any, *, trace: bool = False) -> PramRun:
        """Run to completion; ``trace=True`` keeps every step (with memory copies)."""
        gen = self._steps(inst, emit=trace, copy=True)
        steps: list[PramStep] | None = [] if trace else None
        while True:
            try:
                st = next(gen)
            except StopIteration as stop:
                memory, counters = stop.value
                break
            if steps is not None:
                steps.append(st)
        return PramRun(output=self.program.output(memory, inst), counters=counters, memory=memory, steps=steps)

    # ------------------------------------------------------------------------------------------------------------
    def _steps(self, inst: Any, *, emit: bool,
               copy: bool) -> Generator[PramStep, None, tuple[np.ndarray, Counters]]:
        """The machine loop.  Halted processors never run again, so the active ones are kept compacted
        (``pid``, ``regs``); the full register file is only assembled when steps are emitted."""
        prog = self.program
        setup = prog.setup(inst)
        validate_setup(prog, setup)
        memory = setup.memory.copy()
        full = setup.registers.copy()
        size = memory.shape[0]
        rng = as_generator(self.seed) if self.policy is Policy.CRCW_ARBITRARY else None
        live = full[:, 0] >= 0
        pid = np.flatnonzero(live).astype(np.int64)
        regs = full[pid] if pid.shape[0] < full.shape[0] else full.copy()
        t = peak = work = n_reads = n_writes = 0
        while pid.shape[0]:
            if t >= self.max_steps:
                raise StepLimitExceeded(limit=self.max_steps)
            t += 1
            n_active = pid.shape[0]
            raddr = prog.read_addresses(t, pid, regs)
            check_int64_array(raddr, (n_active, prog.num_reads), "read_addresses", t)
            rused = raddr >= 0
            k_reads = int(np.count_nonzero(rused))
            check_range(raddr, pid, size, t, "read")
            if not self.policy.concurrent_read and k_reads > 1:
                check_reads(raddr, rused, pid, size, t, self.policy.value, k_reads)
            if k_reads == raddr.size:
                values = memory[raddr]
            elif k_reads == 0:
                values = np.zeros_like(raddr)
            else:
                values = np.where(rused, memory[np.where(rused, raddr, 0)], 0)
            waddr, wval, new_regs = prog.compute(t, pid, regs, values)
            validate_step_output(prog, waddr, wval, new_regs, n_active, t)
            check_range(waddr, pid, size, t, "write")
            k_writes = resolve_writes(memory, waddr, wval, pid, self.policy, t, rng)
            if emit:
                full[pid] = new_regs
            keep = new_regs[:, 0] >= 0
            if keep.all():
                regs = new_regs
            else:
                idx = np.flatnonzero(keep)
                regs, pid = new_regs.take(idx, axis=0), pid.take(idx)
            peak = max(peak, n_active)
            work += n_active
            n_reads += k_reads
            n_writes += k_writes
            if emit:
                if copy:
                    mv, rv = memory.copy(), full.copy()
                else:
                    mv, rv = memory.view(), full.view()
                    mv.flags.writeable = False
                    rv.flags.writeable = False
                yield PramStep(t=t, memory=mv, registers=rv, active=n_active, reads=k_reads, writes=k_writes)
        counters = Counters(time=t, processors=peak, work=work, reads=n_reads, writes=n_writes, memory=size)
        return memory, counters


def check_int64_array(a: Any, shape: tuple[int, int], what: str, step: int) -> None:
    """:class:`InvalidProgram` unless ``a`` is an ``int64`` array of exactly ``shape``."""
    if not isinstance(a, np.ndarray) or a.dtype != np.int64 or a.shape != shape:
        got = f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
        raise InvalidProgram(f"step {step}: {what} must return an int64 array of shape {shape}, got {got}")


def validate_setup(prog: Program[Any], setup: Setup) -> None:
    """Check the shapes and dtypes of a :class:`Setup` (every problem at once)."""
    problems = []
    mem, regs = setup.memory, setup.registers
    if not isinstance(mem, np.ndarray) or mem.dtype != np.int64 or mem.ndim != 1:
        problems.append("setup memory must be a 1-d int64 array")
    if not isinstance(regs, np.ndarray) or regs.dtype != np.int64 or regs.ndim != 2:
        problems.append("setup registers must be a 2-d int64 array")
    elif regs.shape[1] != prog.num_registers:
        problems.append(f"setup registers have {regs.shape[1]} columns, the program declares {prog.num_registers}")
    if prog.num_registers < 1 or prog.num_reads < 0 or prog.num_writes < 0:
        problems.append("a program needs at least one register (the pc) and non-negative port counts")
    if problems:
        raise InvalidProgram(problems)


def validate_step_output(prog: Program[Any], waddr: Any, wval: Any, new_regs: Any, n_active: int,
                         step: int) -> None:
    """Check the shapes and dtypes of ``compute``'s result."""
    check_int64_array(waddr, (n_active, prog.num_writes), "compute's write addresses", step)
    check_int64_array(wval, (n_active, prog.num_writes), "compute's write values", step)
    check_int64_array(new_regs, (n_active, prog.num_registers), "compute's new registers", step)
