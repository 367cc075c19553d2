"""The plain reference PRAM: one Python loop iteration per processor, dictionaries for conflicts.

It calls each processor's step on its own (``A = 1``), exactly as the constructions of Theorems 1 and 4 do, and
resolves accesses with plain Python.  The vectorised :class:`pram.machine.PRAM` is tested against it (identical
memories, registers, counters and errors), and it is the baseline of the PRAM benchmark.

Examples
--------
>>> from pram.programs import get_program
>>> prog = get_program("sum")
>>> run_reference(prog, prog.parse_instance({"values": [1, 2, 3]}), "erew").output
6

Notes
-----
O(P) Python calls per step; use it on small instances only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pram.access import ARBITRARY_KEY_BOUND
from pram.errors import AccessConflict, AddressOutOfRange, InvalidInput, StepLimitExceeded
from pram.machine import DEFAULT_MAX_STEPS, check_int64_array, validate_setup, validate_step_output
from pram.model import Counters, Policy, PramRun, PramStep, Program
from pram.rng import SeedLike, as_generator

__all__ = ["run_reference"]


def run_reference(program: Program[Any], inst: Any, policy: Policy | str | None = None, *,
                  max_steps: int = DEFAULT_MAX_STEPS, seed: SeedLike = 0, trace: bool = False) -> PramRun:
    """Run ``program`` on ``inst`` processor by processor (same semantics as :class:`pram.machine.PRAM`)."""
    pol = program.min_policy if policy is None else Policy.parse(policy)
    if not pol.at_least(program.min_policy):
        raise InvalidInput(f"program {program.name!r} needs at least {program.min_policy.value}, not {pol.value}")
    setup = program.setup(inst)
    validate_setup(program, setup)
    memory = [int(x) for x in setup.memory]
    regs = [np.array(row, dtype=np.int64) for row in setup.registers]
    size, rng = len(memory), as_generator(seed) if pol is Policy.CRCW_ARBITRARY else None
    steps: list[PramStep] | None = [] if trace else None
    t = peak = work = n_reads = n_writes = 0
    while True:
        active = [p for p in range(len(regs)) if regs[p][0] >= 0]
        if not active:
            break
        if t >= max_steps:
            raise StepLimitExceeded(limit=max_steps)
        t += 1
        # read phase (all processors, memory as of the start of the step)
        reads: list[list[int]] = []
        for p in active:
            ra = program.read_addresses(t, np.array([p], dtype=np.int64), regs[p][None, :])
            check_int64_array(ra, (1, program.num_reads), "read_addresses", t)
            row = [int(a) for a in ra[0]]
            for a in row:
                if a < -1 or a >= size:
                    raise AddressOutOfRange(step=t, processor=p, address=a, size=size, kind="read")
            reads.append(row)
        if pol is Policy.EREW:
            readers: dict[int, list[int]] = {}
            for p, row in zip(active, reads, strict=True):
                for a in row:
                    if a >= 0 and p not in readers.setdefault(a, []):
                        readers[a].append(p)
            clash = sorted(a for a, ps in readers.items() if len(ps) > 1)
            if clash:
                raise AccessConflict(step=t, cell=clash[0], processors=readers[clash[0]], kind="read",
                                     policy=pol.value)
        # compute phase (one processor at a time)
        writes: list[tuple[int, int, int]] = []  # (cell, value, pid) in (pid, port) order
        new_regs: dict[int, np.ndarray] = {}
        for p, row in zip(active, reads, strict=True):
            values = np.array([[memory[a] if a >= 0 else 0 for a in row]], dtype=np.int64)
            wa, wv, nr = program.compute(t, np.array([p], dtype=np.int64), regs[p][None, :], values)
            validate_step_output(program, wa, wv, nr, 1, t)
            for a, v in zip(wa[0].tolist(), wv[0].tolist(), strict=True):
                if a < -1 or a >= size:
                    raise AddressOutOfRange(step=t, processor=p, address=a, size=size, kind="write")
                if a >= 0:
                    writes.append((a, v, p))
            new_regs[p] = nr[0].copy()
        # write phase
        _apply_writes(memory, writes, pol, t, rng)
        for p, row_regs in new_regs.items():
            regs[p] = row_regs
        k_reads = sum(1 for row in reads for a in row if a >= 0)
        peak, work = max(peak, len(active)), work + len(active)
        n_reads, n_writes = n_reads + k_reads, n_writes + len(writes)
        if steps is not None:
            steps.append(PramStep(t=t, memory=np.array(memory, dtype=np.int64), registers=_stack(regs, program),
                                  active=len(active), reads=k_reads, writes=len(writes)))
    final = np.array(memory, dtype=np.int64)
    counters = Counters(time=t, processors=peak, work=work, reads=n_reads, writes=n_writes, memory=size)
    return PramRun(output=program.output(final, inst), counters=counters, memory=final, steps=steps)


def _stack(regs: list[np.ndarray], program: Program[Any]) -> np.ndarray:
    if not regs:
        return np.zeros((0, program.num_registers), dtype=np.int64)
    return np.stack(regs).astype(np.int64)


def _apply_writes(memory: list[int], writes: list[tuple[int, int, int]], pol: Policy, t: int,
                  rng: np.random.Generator | None) -> None:
    by_cell: dict[int, list[int]] = {}
    for i, (a, _, _) in enumerate(writes):
        by_cell.setdefault(a, []).append(i)
    if all(len(ix) == 1 for ix in by_cell.values()):
        for a, v, _ in writes:
            memory[a] = v
        return
    keys = rng.integers(0, ARBITRARY_KEY_BOUND, size=len(writes)).tolist() if rng is not None else None
    for a in sorted(by_cell):
        ix = by_cell[a]
        if len(ix) > 1 and pol in (Policy.EREW, Policy.CREW):
            raise AccessConflict(step=t, cell=a, processors=sorted({writes[i][2] for i in ix}), kind="write",
                                 policy=pol.value)
        if pol is Policy.CRCW_COMMON and len({writes[i][1] for i in ix}) > 1:
            raise AccessConflict(step=t, cell=a, processors=sorted({writes[i][2] for i in ix}),
                                 kind="write (different values)", policy=pol.value)
    for a, ix in by_cell.items():
        if keys is not None:
            win = min(ix, key=lambda i: (keys[i], i))
        else:
            win = ix[0]  # lowest (pid, port)
        memory[a] = writes[win][1]
