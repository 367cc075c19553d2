"""Brute-force SAT: exponential time, polynomial memory, one processor per clause."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Program, Setup
from pram.programs._common import Problems, check_n, int_value, is_int, registers, require_object, short

__all__ = ["MAX_VARS", "Sat", "SatInstance"]

MAX_VARS = 40


@dataclass(frozen=True, slots=True)
class SatInstance:
    """A CNF formula: ``num_vars`` variables, clauses of nonzero DIMACS literals (``+v`` / ``-v``)."""

    num_vars: int
    clauses: tuple[tuple[int, ...], ...]


class Sat(Program[SatInstance]):
    """Exhaustive search over all 2**v assignments, in the order a = 0, 1, ..., 2**v - 1 (bit i = variable i+1).

    Clause processor q (1..c) loads its clause as two bit masks (positive and negative literals) in step 1; in step
    a + 2 it evaluates assignment a and, if its clause is false, writes a + 1 into the shared cell FLAG (all such
    writers write the same value: CRCW-common).  Processor 0, one step behind, reads FLAG: if it does not hold a + 1,
    every clause held, and the first such a is recorded in ANS (FOUND = 1).  The search never stops early, so T is a
    closed form.  Unneeded write ports go to a dummy cell (value 0).

    Input ``{"num_vars": int, "clauses": [[int]]}``, output ``{"satisfiable": bool, "assignment": [0|1] or null}``
    (the least satisfying assignment a; entry i is variable i+1).

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> s = Sat()
    >>> PRAM(program=s).run(s.parse_instance({"num_vars": 2, "clauses": [[1, 2], [-1], [-2, 1, 2]]})).output
    {'satisfiable': True, 'assignment': [0, 1]}

    Notes
    -----
    T = 2**v + 2 (exponential), P = c + 1, S = 2c + 4 (polynomial): the program whose MDM simulation needs context
    growing with P T while AP-MDM keeps O(S) (Theorems 1 and 4, the PSPACE corollary).
    """

    name = "sat"
    min_policy = Policy.CRCW_COMMON
    citation = "exhaustive search (the PSPACE-style brute force of the paper's Theorem 4 corollary)"
    num_registers, num_reads, num_writes = 7, 2, 2
    default_max_size = 14
    input_format = '{"num_vars": int, "clauses": [[int]]} (DIMACS literals)'

    def parse_instance(self, obj: Any) -> SatInstance:
        d = require_object(obj, ("num_vars", "clauses"), self.name)
        probs = Problems(self.name)
        v = int_value(d["num_vars"], "num_vars", probs, 0, MAX_VARS)
        clauses: list[tuple[int, ...]] = []
        if not isinstance(d["clauses"], list):
            probs.add(f"'clauses' must be a list of lists of literals, got {type(d['clauses']).__name__}")
        else:
            for k, cl in enumerate(d["clauses"]):
                if not isinstance(cl, list) or not all(is_int(x) and x != 0 and abs(int(x)) <= v for x in cl):
                    probs.add(f"clauses[{k}] = {short(cl)} is not a list of literals +-1..+-{v}")
                else:
                    clauses.append(tuple(int(x) for x in cl))
        probs.raise_if_any()
        return SatInstance(num_vars=v, clauses=tuple(clauses))

    def random_instance(self, n: int, rng: np.random.Generator) -> SatInstance:
        check_n(n)
        if n > MAX_VARS:
            n = MAX_VARS
        width = min(3, n)
        m = (426 * n + 50) // 100 if width else 0
        clauses = []
        for _ in range(m):
            vs = rng.choice(n, size=width, replace=False) + 1
            signs = rng.choice([-1, 1], size=width)
            clauses.append(tuple(int(x) for x in vs * signs))
        return SatInstance(num_vars=n, clauses=tuple(clauses))

    def instance_to_json(self, inst: SatInstance) -> Any:
        return {"num_vars": inst.num_vars, "clauses": [list(c) for c in inst.clauses]}

    def size(self, inst: SatInstance) -> int:
        return inst.num_vars

    # layout: POS[0..c), NEG[0..c), FLAG, ANS, FOUND, SINK; registers pc, v, c, a, pos, neg, found
    def setup(self, inst: SatInstance) -> Setup:
        c = len(inst.clauses)
        pos = [sum(1 << (x - 1) for x in set(cl) if x > 0) for cl in inst.clauses]
        neg = [sum(1 << (-x - 1) for x in set(cl) if x < 0) for cl in inst.clauses]
        memory = np.array(pos + neg + [0, 0, 0, 0], dtype=np.int64)
        regs = registers(c + 1, 7)
        regs[:, 1], regs[:, 2] = inst.num_vars, c
        return Setup(memory=memory, registers=regs)

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        pc, c = regs[:, 0], regs[:, 2]
        checker = pid == 0
        load = ~checker & (pc == 0)
        return np.stack([np.where(load, pid - 1, np.where(checker & (pc >= 2), 2 * c, -1)),
                         np.where(load, c + pid - 1, -1)], axis=1)

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pc, v, c, found = regs[:, 0], regs[:, 1], regs[:, 2], regs[:, 6]
        checker, load = pid == 0, pc == 0
        sink = 2 * c + 3
        new = regs.copy()
        new[:, 4] = np.where(~checker & load, values[:, 0], regs[:, 4])
        new[:, 5] = np.where(~checker & load, values[:, 1], regs[:, 5])
        # clause processors: evaluate assignment a = pc - 1
        a = pc - 1
        false = ((a & regs[:, 4]) == 0) & ((~a & regs[:, 5]) == 0)
        evaluating = ~checker & ~load
        w0 = np.where(evaluating, np.where(false, 2 * c, sink), -1)
        x0 = np.where(evaluating & false, a + 1, 0)
        # the checker: assignment b = pc - 2 satisfies every clause iff FLAG != b + 1
        b = pc - 2
        record = checker & (pc >= 2) & (values[:, 0] != b + 1) & (found == 0)
        checking = checker & (pc >= 2)
        w0 = np.where(checking, np.where(record, 2 * c + 1, sink), w0)
        x0 = np.where(record, b, np.where(checking, 0, x0))
        w1 = np.where(checking, np.where(record, 2 * c + 2, sink), -1)
        x1 = np.where(record, 1, 0)
        new[:, 6] = np.where(record, 1, found)
        last = np.where(checker, (1 << v) + 1, 1 << v)
        new[:, 0] = np.where(pc < last, pc + 1, -1)
        return np.stack([w0, w1], axis=1), np.stack([x0, x1], axis=1), new

    def output(self, memory: np.ndarray, inst: SatInstance) -> dict[str, Any]:
        c = len(inst.clauses)
        if int(memory[2 * c + 2]) != 1:
            return {"satisfiable": False, "assignment": None}
        a = int(memory[2 * c + 1])
        return {"satisfiable": True, "assignment": [(a >> i) & 1 for i in range(inst.num_vars)]}

    def oracle(self, inst: SatInstance) -> dict[str, Any]:
        for bits in itertools.product((0, 1), repeat=inst.num_vars):
            assignment = list(reversed(bits))  # product varies the last position fastest: variable 1 is bit 0
            if all(any((lit > 0) == (assignment[abs(lit) - 1] == 1) for lit in cl) for cl in inst.clauses):
                return {"satisfiable": True, "assignment": assignment}
        return {"satisfiable": False, "assignment": None}

    def exact_counters(self, inst: SatInstance) -> Counters:
        c, big = len(inst.clauses), 1 << inst.num_vars
        return Counters(time=big + 2, processors=c + 1, work=(c + 1) * (big + 1) + 1, reads=2 * c + big,
                        writes=c * big + 2 * big, memory=2 * c + 4)
