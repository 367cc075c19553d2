"""Prefix sums (Hillis & Steele 1986) and tree reductions: sum and xor (parity).

Both keep a processor's own running value in a register, so every cell is read by at most one processor per step:
both programs are EREW.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Program, Setup
from pram.programs._common import INT64_MAX, Problems, ceil_log2, check_n, i64, int_list, registers, require_object

__all__ = ["Parity", "PrefixSums", "Sum", "ValuesInstance"]


@dataclass(frozen=True, slots=True)
class ValuesInstance:
    """A list of int64 values (for parity: bits)."""

    values: tuple[int, ...]


def _parse_values(obj: Any, program: str, key: str, bits: bool) -> ValuesInstance:
    d = require_object(obj, (key,), program)
    probs = Problems(program)
    if bits:
        vals = int_list(d[key], key, probs, ok=lambda x: x in (0, 1), what="a bit (0 or 1)")
    else:
        vals = int_list(d[key], key, probs)
    if not probs.items and sum(abs(v) for v in vals) > INT64_MAX:
        probs.add("the sum of |values| exceeds 2**63 - 1, so partial sums could overflow int64 words")
    probs.raise_if_any()
    return ValuesInstance(values=tuple(vals))


class PrefixSums(Program[ValuesInstance]):
    """Inclusive prefix sums by recursive doubling (Hillis & Steele 1986, "Data parallel algorithms").

    Processor i first reads x[i] into its accumulator; in round d (offset 2**d) every processor with i >= 2**d
    adds the cell i - 2**d and writes its accumulator back to x[i].  A processor halts once i < 2**(d+1): its prefix
    is complete.  Input ``{"values": [int]}``, output the list of prefix sums.

    Registers: ``pc`` (0 = load, 1 = round), ``i``, ``acc``, ``off``.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> p = PrefixSums()
    >>> PRAM(program=p, policy="erew").run(p.parse_instance({"values": [1, 2, 3, 4, 5]})).output
    [1, 3, 6, 10, 15]

    Notes
    -----
    T = 1 + ceil(log2 n), P = n, S = n, work n + n L - 2**L + 1 with L = ceil(log2 n); EREW.  The canonical
    NC program of Theorem 1 (and the PRAM benchmark).
    """

    name = "prefix-sums"
    min_policy = Policy.EREW
    citation = "Hillis & Steele (1986), Data parallel algorithms, CACM 29(12) -- recursive doubling scan"
    num_registers, num_reads, num_writes = 4, 1, 1
    default_max_size = 1 << 22
    input_format = '{"values": [int]}'

    def parse_instance(self, obj: Any) -> ValuesInstance:
        return _parse_values(obj, self.name, "values", bits=False)

    def random_instance(self, n: int, rng: np.random.Generator) -> ValuesInstance:
        check_n(n)
        return ValuesInstance(values=tuple(rng.integers(-1000, 1001, size=n).tolist()))

    def instance_to_json(self, inst: ValuesInstance) -> Any:
        return {"values": list(inst.values)}

    def size(self, inst: ValuesInstance) -> int:
        return len(inst.values)

    def setup(self, inst: ValuesInstance) -> Setup:
        n = len(inst.values)
        regs = registers(n, 4)
        regs[:, 1] = np.arange(n)
        return Setup(memory=i64(inst.values).reshape(n), registers=regs)

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        pc, i, off = regs[:, 0], regs[:, 1], regs[:, 3]
        return np.where(pc == 0, i, i - off)[:, None]

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pc, i, acc, off = regs[:, 0], regs[:, 1], regs[:, 2], regs[:, 3]
        load = pc == 0
        if load.any():
            acc = np.where(load, values[:, 0], acc + values[:, 0])
            off = np.where(load, 1, 2 * off)
            waddr = np.where(load, -1, i)
        else:  # every processor is in a doubling round (the common case)
            acc, off, waddr = acc + values[:, 0], 2 * off, i
        new = np.empty_like(regs)
        new[:, 0] = np.where(i >= off, 1, -1)
        new[:, 1], new[:, 2], new[:, 3] = i, acc, off
        return waddr[:, None], acc[:, None], new

    def output(self, memory: np.ndarray, inst: ValuesInstance) -> list[int]:
        return memory.tolist()

    def oracle(self, inst: ValuesInstance) -> list[int]:
        out, s = [], 0
        for x in inst.values:
            s += x
            out.append(s)
        return out

    def exact_counters(self, inst: ValuesInstance) -> Counters:
        n = len(inst.values)
        if n == 0:
            return Counters(time=0, processors=0, work=0, reads=0, writes=0, memory=0)
        L = ceil_log2(n)
        writes = n * L - (1 << L) + 1
        return Counters(time=1 + L, processors=n, work=n + writes, reads=n + writes, writes=writes, memory=n)


class _Reduction(Program[ValuesInstance]):
    """Balanced binary-tree reduction (the classical EREW fan-in tree; e.g. JaJa 1992, section 2.2).

    Processor q owns cell c = 2q.  Round 0 combines x[c] and x[c+1]; in round d >= 1 every processor with
    c divisible by 2**(d+1) and a partner c + 2**d < n combines the partner's cell into its own.  A processor halts
    as soon as it will have no partner again.  The answer ends in cell 0.

    Registers: ``pc``, ``c``, ``acc``, ``d`` (round), ``n``.
    """

    min_policy = Policy.EREW
    num_registers, num_reads, num_writes = 5, 2, 1
    default_max_size = 1 << 22
    key = "values"
    bits = False

    def parse_instance(self, obj: Any) -> ValuesInstance:
        return _parse_values(obj, self.name, self.key, bits=self.bits)

    def instance_to_json(self, inst: ValuesInstance) -> Any:
        return {self.key: list(inst.values)}

    def size(self, inst: ValuesInstance) -> int:
        return len(inst.values)

    def _op(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def setup(self, inst: ValuesInstance) -> Setup:
        n = len(inst.values)
        regs = registers(n // 2, 5)
        regs[:, 1] = 2 * np.arange(n // 2)
        regs[:, 4] = n
        return Setup(memory=i64(inst.values).reshape(n), registers=regs)

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        c, d = regs[:, 1], regs[:, 3]
        first = d == 0
        return np.stack([np.where(first, c, c + (1 << d)), np.where(first, c + 1, -1)], axis=1)

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c, d, n = regs[:, 1], regs[:, 3], regs[:, 4]
        acc = np.where(d == 0, self._op(values[:, 0], values[:, 1]), self._op(regs[:, 2], values[:, 0]))
        d1 = d + 1
        go = ((c & ((2 << d1) - 1)) == 0) & (c + (1 << d1) < n)
        new = np.stack([np.where(go, 0, -1), c, acc, d1, n], axis=1)
        return c[:, None], acc[:, None], new

    def exact_counters(self, inst: ValuesInstance) -> Counters:
        n = len(inst.values)
        L = ceil_log2(n)
        later = [-(-(n - (1 << d)) // (2 << d)) for d in range(1, L)]
        work = n // 2 + sum(later)
        return Counters(time=L, processors=n // 2, work=work, reads=2 * (n // 2) + sum(later), writes=work,
                        memory=n)


class Sum(_Reduction):
    """Sum of int64 values by a balanced tree.  Input ``{"values": [int]}``, output the sum.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> PRAM(program=Sum()).run(Sum().parse_instance({"values": [5, -2, 7]})).output
    10

    Notes
    -----
    T = ceil(log2 n), P = floor(n/2), S = n; EREW.
    """

    name = "sum"
    citation = "balanced binary-tree reduction (fan-in tree), e.g. JaJa (1992), An Introduction to Parallel Algorithms"
    input_format = '{"values": [int]}'

    def _op(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def random_instance(self, n: int, rng: np.random.Generator) -> ValuesInstance:
        check_n(n)
        return ValuesInstance(values=tuple(rng.integers(-1000, 1001, size=n).tolist()))

    def output(self, memory: np.ndarray, inst: ValuesInstance) -> int:
        return int(memory[0]) if memory.shape[0] else 0

    def oracle(self, inst: ValuesInstance) -> int:
        total = 0
        for x in inst.values:
            total += x
        return total


class Parity(_Reduction):
    """Parity (xor) of bits by a balanced tree.  Input ``{"bits": [0|1]}``, output 0 or 1.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> PRAM(program=Parity()).run(Parity().parse_instance({"bits": [1, 0, 1, 1]})).output
    1

    Notes
    -----
    T = ceil(log2 n), P = floor(n/2), S = n; EREW.  Parity is the paper's running example of a task that is easy in
    parallel time.
    """

    name = "parity"
    citation = "balanced binary-tree reduction with xor, e.g. JaJa (1992), An Introduction to Parallel Algorithms"
    key = "bits"
    bits = True
    input_format = '{"bits": [0|1]}'

    def _op(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a ^ b

    def random_instance(self, n: int, rng: np.random.Generator) -> ValuesInstance:
        check_n(n)
        return ValuesInstance(values=tuple(rng.integers(0, 2, size=n).tolist()))

    def output(self, memory: np.ndarray, inst: ValuesInstance) -> int:
        return int(memory[0]) if memory.shape[0] else 0

    def oracle(self, inst: ValuesInstance) -> int:
        ones = sum(1 for b in inst.values if b == 1)
        return ones % 2
