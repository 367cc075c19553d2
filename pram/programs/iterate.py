"""A long serial computation in constant memory: N steps of a linear congruential map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Program, Setup
from pram.programs._common import Problems, check_n, int_value, registers, require_object

__all__ = ["Iterate", "IterateInstance"]

MAX_MODULUS = 1 << 31
MAX_STEPS = 1 << 40


@dataclass(frozen=True, slots=True)
class IterateInstance:
    """Iterate x <- (a x + c) mod m, ``steps`` times, from x0."""

    x0: int
    a: int
    c: int
    m: int
    steps: int


class Iterate(Program[IterateInstance]):
    """N iterations of the linear congruential map x <- (a x + c) mod m (Lehmer 1951) by one processor.

    Memory holds five cells ``[x, a, c, m, N]``.  Step 1 reads all five into registers and performs the first
    iteration; every later step reads x, applies the map and writes x back.  With m <= 2**31 every product fits an
    int64 word.  Input ``{"x0", "a", "c", "m", "steps"}`` (ints), output the final x.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> it = Iterate()
    >>> PRAM(program=it).run(it.parse_instance({"x0": 1, "a": 3, "c": 1, "m": 7, "steps": 4})).output
    2

    Notes
    -----
    T = max(N, 1), P = 1, S = 5: a PRAM(1, N) computation with O(1) memory -- the contrast of Theorem 4 (AP-MDM keeps
    O(S) context) with Theorem 1 (MDM's context grows with P T).
    """

    name = "iterate"
    min_policy = Policy.EREW
    citation = "Lehmer (1951) linear congruential map, run serially: PRAM(1, N) with O(1) cells"
    num_registers, num_reads, num_writes = 5, 5, 1
    default_max_size = 1 << 16
    input_format = '{"x0": int, "a": int, "c": int, "m": int, "steps": int}'

    def parse_instance(self, obj: Any) -> IterateInstance:
        d = require_object(obj, ("x0", "a", "c", "m", "steps"), self.name)
        probs = Problems(self.name)
        m = int_value(d["m"], "m", probs, 1, MAX_MODULUS)
        x0 = int_value(d["x0"], "x0", probs, 0, m - 1)
        a = int_value(d["a"], "a", probs, 0, m - 1)
        c = int_value(d["c"], "c", probs, 0, m - 1)
        steps = int_value(d["steps"], "steps", probs, 0, MAX_STEPS)
        probs.raise_if_any()
        return IterateInstance(x0=x0, a=a, c=c, m=m, steps=steps)

    def random_instance(self, n: int, rng: np.random.Generator) -> IterateInstance:
        check_n(n)
        m = int(rng.choice([2**31 - 1, 1000003, 97]))
        return IterateInstance(x0=int(rng.integers(0, m)), a=int(rng.integers(1, m)), c=int(rng.integers(0, m)),
                               m=m, steps=n)

    def instance_to_json(self, inst: IterateInstance) -> Any:
        return {"x0": inst.x0, "a": inst.a, "c": inst.c, "m": inst.m, "steps": inst.steps}

    def size(self, inst: IterateInstance) -> int:
        return inst.steps

    def setup(self, inst: IterateInstance) -> Setup:
        memory = np.array([inst.x0, inst.a, inst.c, inst.m, inst.steps], dtype=np.int64)
        return Setup(memory=memory, registers=registers(1, 5))

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        load = (regs[:, 0] == 0)[:, None]
        return np.where(load, np.arange(5, dtype=np.int64)[None, :], np.array([[0, -1, -1, -1, -1]]))

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        load = regs[:, 0] == 0
        a = np.where(load, values[:, 1], regs[:, 1])
        c = np.where(load, values[:, 2], regs[:, 2])
        m = np.where(load, values[:, 3], regs[:, 3])
        left = np.where(load, values[:, 4], regs[:, 4])
        go = left > 0
        x = np.where(go, (a * values[:, 0] + c) % np.maximum(m, 1), values[:, 0])
        left = np.where(go, left - 1, 0)
        new = np.stack([np.where(left > 0, 1, -1), a, c, m, left], axis=1)
        return np.where(go, 0, -1)[:, None], x[:, None], new

    def output(self, memory: np.ndarray, inst: IterateInstance) -> int:
        return int(memory[0])

    def oracle(self, inst: IterateInstance) -> int:
        x = inst.x0
        for _ in range(inst.steps):
            x = (inst.a * x + inst.c) % inst.m
        return x

    def exact_counters(self, inst: IterateInstance) -> Counters:
        T = max(inst.steps, 1)
        return Counters(time=T, processors=1, work=T, reads=T + 4, writes=inst.steps, memory=5)
