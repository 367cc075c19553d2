"""Run a PRAM construction on its machine **in lock step** with the PRAM itself (STYLE.md point 9).

After every machine step that completes PRAM step t, the PRAM memory and registers are decoded from the machine's
sequence and compared with the PRAM's own state after step t (:meth:`pram.machine.PRAM.trace`); any difference
raises :class:`~reductions.errors.LockstepMismatch` naming the step.  The machines (:class:`machines.paradigms.MDM`
and :class:`~machines.paradigms.APMDM`) validate their paradigm's discipline at every step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.paradigms import APMDM, MDM, MachineCounters, RunResult, StepRecord
from machines.predictor import Prediction, Predictor
from pram.machine import PRAM, Counters, PramStep, Program
from reductions.errors import LockstepMismatch
from reductions.pram_common import DEFAULT_MAX_LENGTH, DEFAULT_WORD_BITS, word_bits_used
from reductions.pram_to_apmdm import ApmdmConstruction, build_apmdm
from reductions.pram_to_mdm import MdmConstruction, build_mdm

__all__ = ["ReductionRun", "run_mdm", "run_apmdm"]


@dataclass(frozen=True)
class ReductionRun:
    """One construction run on one instance: outputs, both machines' counters, and the lock-step verdict."""

    theorem: str
    program: str
    policy: str
    output: Any
    pram_output: Any
    pram_counters: Counters
    machine_counters: MachineCounters
    halt_reason: str
    layout: dict[str, int]
    lookups_max: int
    word_bits: int
    lockstep: str
    lockstep_steps: int
    final: np.ndarray
    records: tuple[StepRecord, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        mc = self.machine_counters
        return {"theorem": self.theorem, "program": self.program, "policy": self.policy, "output": self.output,
                "pram_output": self.pram_output, "pram": self.pram_counters.to_json(),
                "machine": {"steps": mc.steps, "peak_context": mc.peak_length,
                            "tokens_processed": mc.tokens_processed, "unmasked": mc.unmasked,
                            "remasked": mc.remasked, "inserted": mc.inserted, "deleted": mc.deleted,
                            "halt": self.halt_reason},
                "layout": self.layout, "lookups_per_position_max": self.lookups_max, "word_bits": self.word_bits,
                "lockstep": self.lockstep, "lockstep_steps": self.lockstep_steps}


class _Counting:
    """Measurement wrapper: forwards to the construction's pure predictor and keeps the largest lookup count."""

    def __init__(self, con: MdmConstruction | ApmdmConstruction) -> None:
        self.con, self.max = con, 0

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        pred, look = self.con.fill(x)
        if look.size:
            self.max = max(self.max, int(look.max()))
        return pred


def _compare(t: int, ps: PramStep | None, memory: np.ndarray, pids: np.ndarray, regs: np.ndarray,
             live_only: bool) -> None:
    if ps is None:
        raise LockstepMismatch(f"the machine completed PRAM step {t} but the PRAM had already halted")
    if ps.t != t:
        raise LockstepMismatch(f"the machine completed PRAM step {t} while the PRAM is at step {ps.t}")
    if not np.array_equal(memory, ps.memory):
        bad = np.flatnonzero(memory != ps.memory)
        a = int(bad[0])
        raise LockstepMismatch(f"PRAM step {t}: memory cell {a} decodes to {int(memory[a])}, the PRAM has "
                               f"{int(ps.memory[a])} ({bad.size} cells differ)")
    pram_regs = np.asarray(ps.registers)
    if live_only:
        live = np.flatnonzero(pram_regs[:, 0] >= 0)
        if not np.array_equal(live, pids):
            raise LockstepMismatch(f"PRAM step {t}: live processors decode to {pids[:8].tolist()}, the PRAM has "
                                   f"{live[:8].tolist()}")
    if not np.array_equal(regs, pram_regs[pids]):
        rows = np.flatnonzero((regs != pram_regs[pids]).any(axis=1))
        p = int(pids[rows[0]])
        raise LockstepMismatch(f"PRAM step {t}: registers of processor {p} decode to {regs[rows[0]].tolist()}, "
                               f"the PRAM has {pram_regs[p].tolist()}")


def _bits(con: MdmConstruction | ApmdmConstruction, x: np.ndarray) -> int:
    """Bits of the largest word magnitude in ``x`` (the +/- infinity sentinels count as 63)."""
    return word_bits_used(np.asarray(con.codec.dec(x[con.codec.is_word(x)]), dtype=np.int64))


def _finish(theorem: str, con: MdmConstruction | ApmdmConstruction, inst: Any, final_memory: np.ndarray,
            pram_final: np.ndarray, pram_counters: Counters, res: RunResult, counting: _Counting, bits: int,
            steps_compared: int, records: list[StepRecord] | None) -> ReductionRun:
    if not np.array_equal(final_memory, pram_final):
        raise LockstepMismatch(f"{theorem}: the final memory decoded from the machine differs from the PRAM's")
    prog = con.program
    return ReductionRun(theorem=theorem, program=prog.name, policy=con.policy.value,
                        output=prog.output(final_memory, inst), pram_output=prog.output(pram_final, inst),
                        pram_counters=pram_counters, machine_counters=res.counters, halt_reason=res.halt_reason,
                        layout=con.layout.to_json(), lookups_max=counting.max, word_bits=bits, lockstep="ok",
                        lockstep_steps=steps_compared, final=res.final,
                        records=tuple(records) if records is not None else None)


class _PramWalk:
    """The PRAM, stepped in lock step: walks :meth:`pram.machine.PRAM.trace` one step at a time.

    Nothing is stored per step (the trace yields read-only views of the live state, compared at once), so memory
    stays O(S + P K) however long the run; the counters are accumulated from the steps as they pass.
    """

    def __init__(self, program: Program, con: MdmConstruction | ApmdmConstruction, seed: int, T: int,
                 inst: Any) -> None:
        machine = PRAM(program=program, policy=con.policy, max_steps=max(T, 1) + 1, seed=seed)
        self._it: Iterator[PramStep] = machine.trace(inst, record_memory=False)
        self._memory: np.ndarray | None = None
        self._program, self._inst = program, inst
        self.time = self.peak = self.work = self.reads = self.writes = 0

    def next(self) -> PramStep | None:
        ps = next(self._it, None)
        if ps is not None:
            self.time = ps.t
            self.peak = max(self.peak, ps.active)
            self.work += ps.active
            self.reads += ps.reads
            self.writes += ps.writes
            self._memory = ps.memory
        return ps

    def final_memory(self) -> np.ndarray:
        """The memory after the last step (the input memory when T = 0); call once the walk is exhausted."""
        if self._memory is None:
            return np.asarray(self._program.setup(self._inst).memory, dtype=np.int64).copy()
        return np.array(self._memory, dtype=np.int64)

    def counters(self, size: int) -> Counters:
        return Counters(time=self.time, processors=self.peak, work=self.work, reads=self.reads, writes=self.writes,
                        memory=size)


def run_mdm(program: Program, inst: Any, *, policy: str | None = None, seed: int = 0,
            max_length: int = DEFAULT_MAX_LENGTH, word_bits: int = DEFAULT_WORD_BITS,
            keep_records: bool = False, wrap_predictor: Callable[[Predictor], Predictor] | None = None
            ) -> ReductionRun:
    """Theorem 1: build the MDM, run it on :class:`machines.paradigms.MDM` in lock step with the PRAM.

    ``wrap_predictor`` (tests only) wraps the predictor, e.g. to inject a fault that the lock step must catch.

    Examples
    --------
    >>> from pram.programs import get_program
    >>> prog = get_program("sum")
    >>> r = run_mdm(prog, prog.parse_instance({"values": [3, 1, 4, 1, 5]}))
    >>> r.output == prog.oracle(prog.parse_instance({"values": [3, 1, 4, 1, 5]})), r.lockstep
    (True, 'ok')
    >>> r.machine_counters.steps == r.pram_counters.time + 1
    True

    Notes
    -----
    O(T^2 P W) numpy work for the predictor (each block re-reads the earlier write records) plus the PRAM run.
    """
    con, x0 = build_mdm(program, inst, policy=policy, max_length=max_length, word_bits=word_bits)
    lay = con.layout
    counting = _Counting(con)
    predictor = wrap_predictor(counting) if wrap_predictor else counting
    machine = MDM(vocab=con.vocab, predictor=predictor, max_steps=lay.T + 1, max_length=max(max_length, lay.length))
    walk = _PramWalk(program, con, seed, lay.T, inst)
    it = machine.trace(x0, seed=seed)
    kept: list[StepRecord] | None = [] if keep_records else None
    compared = 0
    memory = con.memory_after(x0, 0)
    pids = np.arange(lay.P)
    for rec in it:
        if kept is not None:
            kept.append(rec)
        if rec.t <= lay.T:
            memory = con.apply_block(memory, rec.x_next, rec.t)  # incremental decode: O(P W) per step
            _compare(rec.t, walk.next(), memory, pids, con.registers_after(rec.x_next, rec.t), live_only=False)
            compared += 1
    if walk.next() is not None:
        raise LockstepMismatch(f"theorem 1: the PRAM runs longer than the T = {lay.T} blocks laid out")
    res = it.result
    assert res is not None
    final_mem = con.output_memory(res.final)
    bits = _bits(con, res.final)
    return _finish("thm1", con, inst, final_mem, walk.final_memory(), walk.counters(lay.S), res, counting, bits,
                   compared, kept)


def run_apmdm(program: Program, inst: Any, *, policy: str | None = None, seed: int = 0,
              max_length: int = DEFAULT_MAX_LENGTH, word_bits: int = DEFAULT_WORD_BITS,
              keep_records: bool = False, wrap_predictor: Callable[[Predictor], Predictor] | None = None
              ) -> ReductionRun:
    """Theorem 4: build the AP-MDM, run it on :class:`machines.paradigms.APMDM` in lock step with the PRAM.

    Examples
    --------
    >>> from pram.programs import get_program
    >>> prog = get_program("sum")
    >>> inst = prog.parse_instance({"values": [3, 1, 4, 1, 5]})
    >>> r = run_apmdm(prog, inst)
    >>> r.output == prog.oracle(inst), r.lockstep, r.halt_reason
    (True, 'ok', 'fixed-point')

    Notes
    -----
    O(L) numpy work per AP-MDM step, L = O(S + P) the context; O(T) steps.
    """
    con, x0 = build_apmdm(program, inst, policy=policy, max_length=max_length, word_bits=word_bits)
    lay = con.layout
    T = int(program.exact_counters(inst).time)
    counting = _Counting(con)
    predictor = wrap_predictor(counting) if wrap_predictor else counting
    machine = APMDM(vocab=con.vocab, predictor=predictor, max_steps=lay.exact_steps(T) + 2,
                    max_length=max(max_length, lay.peak_length))
    walk = _PramWalk(program, con, seed, T, inst)
    it = machine.trace(x0, seed=seed)
    kept: list[StepRecord] | None = [] if keep_records else None
    compared, bits = 0, 0
    for rec in it:
        if kept is not None:
            kept.append(rec)
        xn = rec.x_next
        bits = max(bits, _bits(con, xn))
        if con.parse(rec.x).phase == "commit":
            t = con.counter(xn)
            pids, regs = con.live_registers(xn)
            _compare(t, walk.next(), con.memory(xn), pids, regs, live_only=True)
            compared += 1
    if walk.next() is not None:
        raise LockstepMismatch("theorem 4: the AP-MDM halted before the PRAM did")
    res = it.result
    assert res is not None
    return _finish("thm4", con, inst, con.memory(res.final), walk.final_memory(), walk.counters(lay.S), res,
                   counting, bits, compared, kept)
