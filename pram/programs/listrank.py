"""List ranking by pointer jumping (Wyllie 1979)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Program, Setup
from pram.programs._common import Problems, ceil_log2, check_n, i64, int_list, registers, require_object

__all__ = ["ListInstance", "ListRanking"]


@dataclass(frozen=True, slots=True)
class ListInstance:
    """One linked list over nodes 0..n-1: ``next[i]`` is the successor of i, -1 at the tail."""

    next: tuple[int, ...]


class ListRanking(Program[ListInstance]):
    """Rank of every node (its distance to the tail) by pointer jumping (Wyllie 1979, PhD thesis, Cornell).

    Processor i keeps ``r`` (its partial rank) and ``nx`` (its current pointer) in registers.  Step 1 reads
    ``next[i]`` and writes ``rank[i] = 0`` at the tail, 1 elsewhere; each later round reads ``rank[nx]`` and
    ``next[nx]``, sets ``r += rank[nx]``, ``nx = next[nx]`` and writes both back.  A processor halts when its
    pointer reaches the tail (-1).  Pointers into one list are injective, so every read is exclusive (EREW).

    Input ``{"next": [int, -1 at the tail]}`` (one list covering all nodes), output the list of ranks.

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> p = ListRanking()
    >>> PRAM(program=p).run(p.parse_instance({"next": [2, -1, 3, 1]})).output
    [3, 0, 2, 1]

    Notes
    -----
    T = 1 + ceil(log2 n), P = n, S = 2n, work n + n L - 2**L + 1 (L = ceil(log2 n)); EREW.  O(n log n) work: the
    classical non-optimal but simplest NC list ranking.
    """

    name = "list-ranking"
    min_policy = Policy.EREW
    citation = "Wyllie (1979), The complexity of parallel computations, PhD thesis, Cornell -- pointer jumping"
    num_registers, num_reads, num_writes = 5, 2, 2
    default_max_size = 1 << 21
    input_format = '{"next": [int, -1 at the tail]}'

    def parse_instance(self, obj: Any) -> ListInstance:
        d = require_object(obj, ("next",), self.name)
        probs = Problems(self.name)
        nxt = int_list(d["next"], "next", probs)
        n = len(d["next"]) if isinstance(d["next"], list) else 0
        if not probs.items:
            bad = [i for i, x in enumerate(nxt) if not -1 <= x < n or x == i]
            for i in bad:
                probs.add(f"next[{i}] = {nxt[i]} is not -1 or another node in [0, {n})")
            preds: dict[int, int] = {}
            for i, x in enumerate(nxt):
                if x >= 0 and x in preds:
                    probs.add(f"node {x} has two predecessors ({preds[x]} and {i})")
                preds.setdefault(x, i)
            tails = [i for i, x in enumerate(nxt) if x == -1]
            if n and len(tails) != 1:
                probs.add(f"a list has exactly one tail (next = -1), found {len(tails)}")
            if not probs.items and n:
                head = next(i for i in range(n) if i not in preds)
                seen, cur = 0, head
                while cur != -1 and seen <= n:
                    seen, cur = seen + 1, nxt[cur]
                if seen != n:
                    probs.add(f"the list from head {head} reaches {seen} of {n} nodes (the rest form a cycle)")
        probs.raise_if_any()
        return ListInstance(next=tuple(nxt))

    def random_instance(self, n: int, rng: np.random.Generator) -> ListInstance:
        check_n(n)
        order = rng.permutation(n).tolist()
        nxt = [-1] * n
        for a, b in zip(order, order[1:], strict=False):
            nxt[a] = b
        return ListInstance(next=tuple(nxt))

    def instance_to_json(self, inst: ListInstance) -> Any:
        return {"next": list(inst.next)}

    def size(self, inst: ListInstance) -> int:
        return len(inst.next)

    def setup(self, inst: ListInstance) -> Setup:
        n = len(inst.next)
        regs = registers(n, 5)
        regs[:, 1] = np.arange(n)
        regs[:, 4] = n
        return Setup(memory=np.concatenate([i64(inst.next).reshape(n), np.zeros(n, dtype=np.int64)]),
                     registers=regs)

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        load = regs[:, 0] == 0
        i, nx, n = regs[:, 1], regs[:, 3], regs[:, 4]
        return np.stack([np.where(load, i, n + nx), np.where(load, -1, nx)], axis=1)

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        load = regs[:, 0] == 0
        i, r, n = regs[:, 1], regs[:, 2], regs[:, 4]
        nx = np.where(load, values[:, 0], values[:, 1])
        r = np.where(load, (nx != -1).astype(np.int64), r + values[:, 0])
        waddr = np.stack([n + i, np.where(load, -1, i)], axis=1)
        wval = np.stack([r, nx], axis=1)
        new = np.stack([np.where(nx != -1, 1, -1), i, r, nx, n], axis=1)
        return waddr, wval, new

    def output(self, memory: np.ndarray, inst: ListInstance) -> list[int]:
        n = len(inst.next)
        return memory[n:2 * n].tolist()

    def oracle(self, inst: ListInstance) -> list[int]:
        n = len(inst.next)
        pointed = set(inst.next)
        head = next((i for i in range(n) if i not in pointed), None)
        order = []
        while head is not None and head != -1:
            order.append(head)
            head = inst.next[head]
        ranks = [0] * n
        for pos, node in enumerate(order):
            ranks[node] = n - 1 - pos
        return ranks

    def exact_counters(self, inst: ListInstance) -> Counters:
        n = len(inst.next)
        if n == 0:
            return Counters(time=0, processors=0, work=0, reads=0, writes=0, memory=0)
        L = ceil_log2(n)
        rounds = n * L - (1 << L) + 1
        return Counters(time=1 + L, processors=n, work=n + rounds, reads=n + 2 * rounds, writes=n + 2 * rounds,
                        memory=2 * n)
