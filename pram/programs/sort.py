"""Sorting by Batcher's bitonic sorting network (Batcher 1968), padded to a power of two."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Setup
from pram.programs._common import INT64_MAX, Problems, ceil_log2, check_n, i64, int_list, registers, require_object
from pram.programs._phased import Phased
from pram.programs.scan import ValuesInstance

__all__ = ["BitonicSort", "bitonic_pairs", "bitonic_stage", "bitonic_steps"]


def bitonic_steps(L: int) -> int:
    """Number of compare-exchange stages of the bitonic network on 2**L keys: L (L + 1) / 2."""
    return L * (L + 1) // 2


@lru_cache(maxsize=64)
def _stage_table(L: int) -> tuple[tuple[int, int], ...]:
    return tuple((p, b) for p in range(1, L + 1) for b in range(p - 1, -1, -1))


def bitonic_stage(s: int, L: int) -> tuple[int, int]:
    """Stage ``s`` (0-based) of the network on 2**L keys as ``(log2 k, log2 j)``: merge blocks of size k, compare
    at distance j.

    >>> [bitonic_stage(s, 2) for s in range(3)]
    [(1, 0), (2, 1), (2, 0)]
    """
    return _stage_table(L)[s]


def bitonic_pairs(q: np.ndarray, pk: int, pj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Comparator q of a stage: the cells ``(i, l = i + 2**pj)`` and whether it sorts ascending."""
    low = q & ((1 << pj) - 1)
    i = ((q >> pj) << (pj + 1)) | low
    return i, i + (1 << pj), (i & (1 << pk)) == 0


def compare_exchange(a: np.ndarray, b: np.ndarray, asc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return np.where(asc, lo, hi), np.where(asc, hi, lo)


class BitonicSort(Phased[ValuesInstance]):
    """Ascending sort by Batcher's bitonic network (Batcher 1968, "Sorting networks and their applications").

    The n values are padded with ``2**63 - 1`` up to N = 2**ceil(log2 n) cells (so any n works).  Each of the
    L (L + 1) / 2 stages (L = log2 N) is one PRAM step in which N/2 processors each read two cells and write back
    their minimum and maximum.  Input ``{"values": [int]}``, output the sorted list.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> s = BitonicSort()
    >>> PRAM(program=s).run(s.parse_instance({"values": [5, -1, 3, 3, 0]})).output
    [-1, 0, 3, 3, 5]

    Notes
    -----
    T = L (L + 1) / 2 = O(log^2 n), P = N / 2, S = N < 2n; EREW.
    """

    name = "sort"
    min_policy = Policy.EREW
    citation = "Batcher (1968), Sorting networks and their applications, AFIPS SJCC -- bitonic sorting network"
    num_registers, num_reads, num_writes = 2, 2, 2
    default_max_size = 1 << 20
    input_format = '{"values": [int]}'

    def parse_instance(self, obj: Any) -> ValuesInstance:
        d = require_object(obj, ("values",), self.name)
        probs = Problems(self.name)
        vals = int_list(d["values"], "values", probs)
        probs.raise_if_any()
        return ValuesInstance(values=tuple(vals))

    def random_instance(self, n: int, rng: np.random.Generator) -> ValuesInstance:
        check_n(n)
        return ValuesInstance(values=tuple(rng.integers(-50, 51, size=n).tolist()))

    def instance_to_json(self, inst: ValuesInstance) -> Any:
        return {"values": list(inst.values)}

    def size(self, inst: ValuesInstance) -> int:
        return len(inst.values)

    def length(self, n: int) -> int:
        return bitonic_steps(ceil_log2(n))

    def phase(self, s: int, n: int) -> tuple[str, int]:
        return "stage", s

    def setup(self, inst: ValuesInstance) -> Setup:
        n = len(inst.values)
        N = 0 if n == 0 else 1 << ceil_log2(n)
        memory = np.full(N, INT64_MAX, dtype=np.int64)
        memory[:n] = i64(inst.values).reshape(n)
        regs = registers(N // 2, 2)
        regs[:, 1] = n
        if self.length(n) == 0:
            regs[:, 0] = -1
        return Setup(memory=memory, registers=regs)

    def read_stage(self, s: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        pk, pj = bitonic_stage(s, ceil_log2(int(regs[0, 1])))
        i, l, _ = bitonic_pairs(pid, pk, pj)
        return np.stack([i, l], axis=1)

    def compute_stage(self, s: int, pid: np.ndarray, regs: np.ndarray,
                      values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pk, pj = bitonic_stage(s, ceil_log2(int(regs[0, 1])))
        i, l, asc = bitonic_pairs(pid, pk, pj)
        x, y = compare_exchange(values[:, 0], values[:, 1], asc)
        return np.stack([i, l], axis=1), np.stack([x, y], axis=1), regs

    def output(self, memory: np.ndarray, inst: ValuesInstance) -> list[int]:
        return memory[:len(inst.values)].tolist()

    def oracle(self, inst: ValuesInstance) -> list[int]:
        return sorted(inst.values)

    def exact_counters(self, inst: ValuesInstance) -> Counters:
        n = len(inst.values)
        L = ceil_log2(n)
        N = 0 if n == 0 else 1 << L
        T = L * (L + 1) // 2
        return Counters(time=T, processors=N // 2 if T else 0, work=T * (N // 2), reads=T * N, writes=T * N,
                        memory=N)
