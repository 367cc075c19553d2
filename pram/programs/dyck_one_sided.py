"""Dyck-k recognition in O(log^2 n) steps: depth scan, bitonic sort of (level, position), pair check, or-tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Setup
from pram.programs._common import Problems, ceil_log2, check_n, i64, int_list, int_value, registers, require_object
from pram.programs._phased import Phased
from pram.programs.sort import bitonic_pairs, bitonic_stage, bitonic_steps, compare_exchange

__all__ = ["Dyck", "DyckInstance"]

MAX_K = 1 << 30


@dataclass(frozen=True, slots=True)
class DyckInstance:
    """A word over k bracket types: ``+i`` opens and ``-i`` closes bracket type i (1 <= i <= k)."""

    k: int
    word: tuple[int, ...]


def _layout(n: int) -> tuple[int, int, int, int]:
    """(N, base of the key array, base of the flag array, number of flags n')."""
    N = 0 if n == 0 else 1 << ceil_log2(n)
    return N, 2 * n, 2 * n + N, n + n // 2


class Dyck(Phased[DyckInstance]):
    """Recognise the Dyck-k language (balanced brackets of k types) on an EREW PRAM in O(log^2 n) steps.

    The project's composition of classical pieces (the paper names the task, not the algorithm):

    1. depth d[i] of every prefix by Hillis & Steele (1986) prefix sums of +1/-1;
    2. every position writes a key ``level * n + i`` (``level`` = the depth before an opener, after a closer) and a
       flag "depth < 0, or final depth != 0";
    3. Batcher's (1968) bitonic network sorts the keys: in a word whose depth profile is valid, matching brackets
       share a level and are adjacent in this order (opener, closer, opener, closer, ...);
    4. processor t checks that sorted keys 2t, 2t+1 are an opener and the closer of the same type;
    5. a balanced or-tree (EREW reduction) combines all flags; the word is accepted iff no flag is set.

    Input ``{"k": int, "word": [int]}``, output ``true``/``false``.  Registers: ``pc, n, sgn, acc, pa, pb``.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> d = Dyck()
    >>> PRAM(program=d).run(d.parse_instance({"k": 2, "word": [1, 2, -2, -1, 1, -1]})).output
    True
    >>> PRAM(program=d).run(d.parse_instance({"k": 2, "word": [1, 2, -1, -2]})).output
    False

    Notes
    -----
    T = 1 + L + 1 + L (L + 1) / 2 + 2 + ceil(log2(n + n // 2)) = O(log^2 n) with L = ceil(log2 n); P = n;
    S = 2n + 2**L + n + n // 2.  The paper's CFG example for Theorem 1 (Dyck-k in O(log^2 n) MDM steps).
    """

    name = "dyck"
    min_policy = Policy.EREW
    citation = ("project composition: Hillis & Steele (1986) scan, Batcher (1968) bitonic sort, balanced "
                "or-tree reduction")
    num_registers, num_reads, num_writes = 6, 2, 2
    default_max_size = 1 << 16
    input_format = '{"k": int, "word": [int]} (+i opens, -i closes bracket type i)'

    # -- instances -------------------------------------------------------------------------------------------
    def parse_instance(self, obj: Any) -> DyckInstance:
        d = require_object(obj, ("k", "word"), self.name)
        probs = Problems(self.name)
        k = int_value(d["k"], "k", probs, 1, MAX_K)
        word = int_list(d["word"], "word", probs, ok=lambda x: x != 0 and abs(x) <= k,
                        what=f"a nonzero bracket in [-{k}, {k}]")
        probs.raise_if_any()
        return DyckInstance(k=k, word=tuple(word))

    def random_instance(self, n: int, rng: np.random.Generator) -> DyckInstance:
        check_n(n)
        k = int(rng.integers(1, 4))
        mode = int(rng.integers(0, 4))
        if mode == 0 or n % 2:
            noise = [int(x) * int(rng.choice([-1, 1])) for x in rng.integers(1, k + 1, size=n)]
            return DyckInstance(k=k, word=tuple(noise))
        word: list[int] = []
        stack: list[int] = []
        opens = n // 2
        for _ in range(n):
            if opens and (not stack or rng.integers(0, 2) == 0):
                b = int(rng.integers(1, k + 1))
                stack.append(b)
                word.append(b)
                opens -= 1
            else:
                word.append(-stack.pop())
        if mode == 3 and n:
            j = int(rng.integers(0, n))
            word[j] = -word[j] if k == 1 or rng.integers(0, 2) else (word[j] % k + 1) * (1 if word[j] > 0 else -1)
        return DyckInstance(k=k, word=tuple(word))

    def instance_to_json(self, inst: DyckInstance) -> Any:
        return {"k": inst.k, "word": list(inst.word)}

    def size(self, inst: DyckInstance) -> int:
        return len(inst.word)

    # -- schedule --------------------------------------------------------------------------------------------
    def length(self, n: int) -> int:
        if n == 0:
            return 0
        L = ceil_log2(n)
        return 1 + L + 1 + bitonic_steps(L) + 2 + ceil_log2(n + n // 2)

    def phase(self, s: int, n: int) -> tuple[str, int]:
        L = ceil_log2(n)
        if s == 0:
            return "load", 0
        if s <= L:
            return "scan", s - 1
        s -= L + 1
        if s == 0:
            return "keys", 0
        s -= 1
        if s < bitonic_steps(L):
            return "sort", s
        s -= bitonic_steps(L)
        if s < 2:
            return ("pair_a", 0) if s == 0 else ("pair_b", 0)
        return "reduce", s - 2

    def setup(self, inst: DyckInstance) -> Setup:
        n = len(inst.word)
        N, _, _, nf = _layout(n)
        memory = np.zeros(2 * n + N + nf, dtype=np.int64)
        memory[:n] = i64(inst.word).reshape(n)
        memory[2 * n:2 * n + N] = np.iinfo(np.int64).max
        regs = registers(n, 6)
        regs[:, 1] = n
        return Setup(memory=memory, registers=regs)

    # -- phases (each returns addresses / (waddr, wval, regs)); -1 = unused port ------------------------------
    @staticmethod
    def _none(a: int, w: int = 2) -> np.ndarray:
        return np.full((a, w), -1, dtype=np.int64)

    def read_load(self, arg: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return np.stack([pid, np.full_like(pid, -1)], axis=1)

    def compute_load(self, arg: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        n = regs[:, 1]
        new = regs.copy()
        new[:, 2] = np.where(v[:, 0] > 0, 1, -1)
        new[:, 3] = new[:, 2]
        return np.stack([n + pid, np.full_like(pid, -1)], axis=1), np.stack([new[:, 3], 0 * pid], axis=1), new

    def read_scan(self, d: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        off = 1 << d
        return np.stack([np.where(pid >= off, regs[:, 1] + pid - off, -1), np.full_like(pid, -1)], axis=1)

    def compute_scan(self, d: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        on = pid >= (1 << d)
        new = regs.copy()
        new[:, 3] = regs[:, 3] + v[:, 0]
        return (np.stack([np.where(on, regs[:, 1] + pid, -1), np.full_like(pid, -1)], axis=1),
                np.stack([new[:, 3], 0 * pid], axis=1), new)

    def read_keys(self, arg: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return self._none(pid.shape[0])

    def compute_keys(self, arg: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        n, sgn, acc = regs[:, 1], regs[:, 2], regs[:, 3]
        N = _layout(int(n[0]))[0]
        level = np.maximum(acc - (sgn > 0), 0)
        bad = (acc < 0) | ((pid == n - 1) & (acc != 0))
        return (np.stack([2 * n + pid, 2 * n + N + pid], axis=1),
                np.stack([level * n + pid, bad.astype(np.int64)], axis=1), regs)

    def _sort_cells(self, s: int, pid: np.ndarray, regs: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
        n = int(regs[0, 1])
        L = ceil_log2(n)
        i, l, asc = bitonic_pairs(pid, *bitonic_stage(s, L))
        on = pid < (1 << L) // 2
        base = 2 * n
        return np.where(on, base + i, -1), np.where(on, base + l, -1), asc

    def read_sort(self, s: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        a, b, _ = self._sort_cells(s, pid, regs)
        return np.stack([a, b], axis=1)

    def compute_sort(self, s: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        a, b, asc = self._sort_cells(s, pid, regs)
        x, y = compare_exchange(v[:, 0], v[:, 1], asc)
        return np.stack([a, b], axis=1), np.stack([x, y], axis=1), regs

    def read_pair_a(self, arg: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        n = regs[:, 1]
        on = pid < n // 2
        return np.stack([np.where(on, 2 * n + 2 * pid, -1), np.where(on, 2 * n + 2 * pid + 1, -1)], axis=1)

    def compute_pair_a(self, arg: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        n = regs[:, 1]
        new = regs.copy()
        on = pid < n // 2
        new[:, 4] = np.where(on, v[:, 0] % np.maximum(n, 1), 0)
        new[:, 5] = np.where(on, v[:, 1] % np.maximum(n, 1), 0)
        return self._none(pid.shape[0]), np.zeros((pid.shape[0], 2), dtype=np.int64), new

    def read_pair_b(self, arg: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        on = pid < regs[:, 1] // 2
        return np.stack([np.where(on, regs[:, 4], -1), np.where(on, regs[:, 5], -1)], axis=1)

    def compute_pair_b(self, arg: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        n = regs[:, 1]
        on = pid < n // 2
        mismatch = ~((v[:, 0] > 0) & (v[:, 1] == -v[:, 0]))
        flag_base = 2 * n + _layout(int(n[0]))[0]
        return (np.stack([np.where(on, flag_base + n + pid, -1), np.full_like(pid, -1)], axis=1),
                np.stack([mismatch.astype(np.int64), 0 * pid], axis=1), regs)

    def _reduce_cells(self, d: int, pid: np.ndarray, regs: np.ndarray) -> tuple[Any, Any, Any]:
        n = int(regs[0, 1])
        _, _, base, nf = _layout(n)
        c = 2 * pid
        if d == 0:
            on = c + 1 < nf
            return on, np.where(on, base + c, -1), np.where(on, base + c + 1, -1)
        on = ((c & ((2 << d) - 1)) == 0) & (c + (1 << d) < nf)
        return on, np.where(on, base + c + (1 << d), -1), np.full_like(pid, -1)

    def read_reduce(self, d: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        _, a, b = self._reduce_cells(d, pid, regs)
        return np.stack([a, b], axis=1)

    def compute_reduce(self, d: int, pid: np.ndarray, regs: np.ndarray, v: np.ndarray) -> tuple[Any, Any, Any]:
        on, _, _ = self._reduce_cells(d, pid, regs)
        base = _layout(int(regs[0, 1]))[2]
        new = regs.copy()
        acc = (v[:, 0] | v[:, 1]) if d == 0 else (regs[:, 3] | v[:, 0])
        new[:, 3] = np.where(on, acc, regs[:, 3])
        return (np.stack([np.where(on, base + 2 * pid, -1), np.full_like(pid, -1)], axis=1),
                np.stack([new[:, 3], 0 * pid], axis=1), new)

    # -- answers ---------------------------------------------------------------------------------------------
    def output(self, memory: np.ndarray, inst: DyckInstance) -> bool:
        n = len(inst.word)
        return n == 0 or int(memory[_layout(n)[2]]) == 0

    def oracle(self, inst: DyckInstance) -> bool:
        stack: list[int] = []
        for x in inst.word:
            if x > 0:
                stack.append(x)
            elif not stack or stack.pop() != -x:
                return False
        return not stack

    def exact_counters(self, inst: DyckInstance) -> Counters:
        n = len(inst.word)
        if n == 0:
            return Counters(time=0, processors=0, work=0, reads=0, writes=0, memory=0)
        L = ceil_log2(n)
        N, _, _, nf = _layout(n)
        h, T = n // 2, self.length(n)
        scan = n * L - (1 << L) + 1  # sum over rounds d < L of (n - 2**d)
        later = sum(-(-(nf - (1 << d)) // (2 << d)) for d in range(1, ceil_log2(nf)))
        sort = bitonic_steps(L) * N
        reads = n + scan + sort + 4 * h + 2 * (nf // 2) + later
        writes = n + scan + 2 * n + sort + h + nf // 2 + later
        return Counters(time=T, processors=n, work=n * T, reads=reads, writes=writes, memory=2 * n + N + nf)
