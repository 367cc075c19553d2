"""Connected components in O(log n) steps on a CRCW PRAM (Shiloach & Vishkin 1982)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pram.model import Counters, Policy, Setup
from pram.programs._common import Problems, is_int, registers, require_object, short
from pram.programs._phased import Phased

__all__ = ["Connectivity", "GraphInstance", "iterations"]

MAX_N = 1 << 24
#: the nine steps of one iteration (see the class docstring)
KINDS = ("star1", "star3c", "hook_cond", "mark", "star1", "star3g", "hook_free", "reread", "jump")


@dataclass(frozen=True, slots=True)
class GraphInstance:
    """An undirected graph on nodes 0..n-1 (self-loops and repeated edges allowed)."""

    n: int
    edges: tuple[tuple[int, int], ...]


def iterations(n: int) -> int:
    """The fixed number of iterations R(n) = ceil(log_{3/2} n) + 1 for n >= 2 (0 for n <= 1).

    Shiloach & Vishkin bound the number of iterations by log_{3/2} n; the project runs that many (computed in
    integers: the least R with 3**R >= n * 2**R), plus one, with no convergence test, so that T is a closed form.

    >>> [iterations(n) for n in (0, 1, 2, 3, 10, 100)]
    [0, 0, 3, 4, 7, 13]
    """
    if n <= 1:
        return 0
    r = 0
    while 3**r < n * 2**r:
        r += 1
    return r + 1


class Connectivity(Phased[GraphInstance]):
    """Connected components by hooking and pointer jumping (Shiloach & Vishkin 1982, J. Algorithms 3).

    A parent array D (initially D(v) = v) forms rooted trees inside components.  One iteration, 9 PRAM steps:

    - stars: ST(v) = 1; if D(v) != D(D(v)) clear ST(v) and ST(D(D(v))); then ST(v) &= ST(D(v))  (3 steps);
    - conditional hooking: for every directed edge (i, j) with i in a star and D(j) < D(i): D(D(i)) = D(j)
      (concurrent writes, an arbitrary winner), then every winner marks the tree it hooked onto;
    - stars again; unconditional hooking of stagnant stars (a star that neither hooked nor was hooked onto):
      D(D(i)) = D(j) for any edge to another tree;
    - shortcut: D(v) = D(D(v)).

    Every star that has an edge to another tree is merged in each iteration, and non-star trees halve their height,
    which gives the O(log n) iterations of the classical analysis.  Ports that a processor does not need in a step are
    routed to one dummy cell (value 0), so every access count is a closed form.

    Processors: n vertex processors, then one per directed edge.  Input ``{"n": int, "edges": [[u, v]]}``, output
    ``{"components": [[node]]}`` (sorted components, each sorted).

    Examples
    --------
    >>> from pram.machine import PRAM
    >>> c = Connectivity()
    >>> PRAM(program=c).run(c.parse_instance({"n": 5, "edges": [[0, 3], [4, 1]]})).output
    {'components': [[0, 3], [1, 4], [2]]}

    Notes
    -----
    T = 9 R(n) = O(log n) (see :func:`iterations`), P = n + 2m, S = 3n + 4m + 1; CRCW-arbitrary.  The paper's
    example of an NC problem that MDM solves in O(log n) decoding steps (Theorem 1).
    """

    name = "connectivity"
    min_policy = Policy.CRCW_ARBITRARY
    citation = "Shiloach & Vishkin (1982), An O(log n) parallel connectivity algorithm, J. Algorithms 3(1)"
    num_registers, num_reads, num_writes = 9, 3, 3
    default_max_size = 1 << 16
    input_format = '{"n": int, "edges": [[u, v]]}'

    # -- instances -------------------------------------------------------------------------------------------
    def parse_instance(self, obj: Any) -> GraphInstance:
        d = require_object(obj, ("n", "edges"), self.name)
        probs = Problems(self.name)
        n = d["n"]
        if not is_int(n) or not 0 <= int(n) <= MAX_N:
            probs.add(f"'n' must be an integer in [0, {MAX_N}], got {short(n)}")
            n = 0
        n = int(n)
        edges: list[tuple[int, int]] = []
        if not isinstance(d["edges"], list):
            probs.add(f"'edges' must be a list of [u, v] pairs, got {type(d['edges']).__name__}")
        else:
            for k, e in enumerate(d["edges"]):
                if (not isinstance(e, list) or len(e) != 2 or not all(is_int(x) and 0 <= int(x) < n for x in e)):
                    probs.add(f"edges[{k}] = {short(e)} is not a pair of nodes in [0, {n})")
                else:
                    edges.append((int(e[0]), int(e[1])))
        probs.raise_if_any()
        return GraphInstance(n=n, edges=tuple(edges))

    def random_instance(self, n: int, rng: np.random.Generator) -> GraphInstance:
        if n <= 1:
            return GraphInstance(n=max(n, 0), edges=())
        m = int(rng.integers(0, 2 * n))
        if rng.integers(0, 3) == 0:  # a long path in random order: the deep-tree case
            order = rng.permutation(n).tolist()
            edges = [(order[i], order[i + 1]) for i in range(n - 1) if rng.integers(0, 8)]
        else:
            edges = [(int(a), int(b)) for a, b in rng.integers(0, n, size=(m, 2))]
        return GraphInstance(n=n, edges=tuple(edges))

    def instance_to_json(self, inst: GraphInstance) -> Any:
        return {"n": inst.n, "edges": [list(e) for e in inst.edges]}

    def size(self, inst: GraphInstance) -> int:
        return inst.n

    # -- schedule and layout ---------------------------------------------------------------------------------
    def length(self, n: int) -> int:
        return 9 * iterations(n)

    def phase(self, s: int, n: int) -> tuple[str, int]:
        return KINDS[s % 9], s // 9

    def setup(self, inst: GraphInstance) -> Setup:
        n, m2 = inst.n, 2 * len(inst.edges)
        eu = [u for u, v in inst.edges] + [v for u, v in inst.edges]
        ev = [v for u, v in inst.edges] + [u for u, v in inst.edges]
        memory = np.concatenate([np.arange(n), np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
                                 np.array(eu + ev, dtype=np.int64), np.zeros(1, dtype=np.int64)]).astype(np.int64)
        regs = registers(n + m2, 9)
        regs[:, 1], regs[:, 2] = n, m2
        regs[:n, 3] = np.arange(n)
        if self.length(n) == 0:
            regs[:, 0] = -1
        return Setup(memory=memory, registers=regs)

    # -- phases: V = vertex processors (pid < n), E = edge processors -----------------------------------------
    @staticmethod
    def _parts(pid: np.ndarray, regs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n, m2 = regs[:, 1], regs[:, 2]
        return pid < n, n, 3 * n + 2 * m2, pid - n  # vertex?, n, sink cell, edge index

    @staticmethod
    def _out(*cols: np.ndarray) -> np.ndarray:
        return np.stack(list(cols), axis=1).astype(np.int64)

    def read_star1(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        v, _, _, _ = self._parts(pid, regs)
        no = np.full_like(pid, -1)
        return self._out(np.where(v, regs[:, 3], -1), no, no)

    def compute_star1(self, it: int, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[Any, Any, Any]:
        v, n, sink, _ = self._parts(pid, regs)
        ch = v & (regs[:, 3] != val[:, 0])
        no, zero = np.full_like(pid, -1), np.zeros_like(pid)
        wa = self._out(np.where(v, np.where(ch, n + pid, sink), -1), np.where(v, np.where(ch, n + val[:, 0], sink), -1),
                       no)
        return wa, self._out(zero, zero, zero), regs

    def _star3(self, pid: np.ndarray, regs: np.ndarray, edge_reads: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        v, n, _, _ = self._parts(pid, regs)
        return self._out(np.where(v, n + pid, edge_reads[0]), np.where(v, n + regs[:, 3], edge_reads[1]),
                         np.full_like(pid, -1))

    def _star3_writes(self, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v, n, _, _ = self._parts(pid, regs)
        no, zero = np.full_like(pid, -1), np.zeros_like(pid)
        return self._out(np.where(v, n + pid, -1), no, no), self._out(val[:, 0] & val[:, 1], zero, zero)

    def read_star3c(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        _, n, _, e = self._parts(pid, regs)
        return self._star3(pid, regs, (3 * n + e, 3 * n + regs[:, 2] + e))

    def compute_star3c(self, it: int, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[Any, Any, Any]:
        v = self._parts(pid, regs)[0]
        new = regs.copy()
        new[:, 4] = np.where(v, regs[:, 4], val[:, 0])
        new[:, 5] = np.where(v, regs[:, 5], val[:, 1])
        return (*self._star3_writes(pid, regs, val), new)

    def read_star3g(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return self._star3(pid, regs, (regs[:, 4], np.full_like(pid, -1)))

    def compute_star3g(self, it: int, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[Any, Any, Any]:
        v = self._parts(pid, regs)[0]
        new = regs.copy()
        new[:, 6] = np.where(v, regs[:, 6], val[:, 0])
        return (*self._star3_writes(pid, regs, val), new)

    def read_hook_cond(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        v, n, _, _ = self._parts(pid, regs)
        ei, ej = regs[:, 4], regs[:, 5]
        return self._out(np.where(v, -1, ei), np.where(v, -1, ej), np.where(v, -1, n + ei))

    def compute_hook_cond(self, it: int, pid: np.ndarray, regs: np.ndarray,
                          val: np.ndarray) -> tuple[Any, Any, Any]:
        v, _, sink, _ = self._parts(pid, regs)
        att = ~v & (val[:, 2] == 1) & (val[:, 1] < val[:, 0])
        new = regs.copy()
        new[:, 6] = np.where(v, regs[:, 6], val[:, 0])
        new[:, 7] = np.where(v, regs[:, 7], val[:, 1])
        new[:, 8] = att
        no, zero = np.full_like(pid, -1), np.zeros_like(pid)
        return (self._out(np.where(v, -1, np.where(att, val[:, 0], sink)), no, no),
                self._out(np.where(att, val[:, 1], 0), zero, zero), new)

    def read_mark(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        v = self._parts(pid, regs)[0]
        no = np.full_like(pid, -1)
        return self._out(np.where(v, pid, regs[:, 6]), no, no)

    def compute_mark(self, it: int, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[Any, Any, Any]:
        v, n, sink, _ = self._parts(pid, regs)
        won = ~v & (regs[:, 8] == 1) & (val[:, 0] == regs[:, 7])
        new = regs.copy()
        new[:, 3] = np.where(v, val[:, 0], regs[:, 3])
        no, zero = np.full_like(pid, -1), np.zeros_like(pid)
        wa = np.where(v, n + pid, np.where(won, 2 * n + regs[:, 7], sink))
        return self._out(wa, no, no), self._out(np.where(v | won, 1, 0), zero, zero), new

    def read_hook_free(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        v, n, _, _ = self._parts(pid, regs)
        return self._out(np.where(v, -1, regs[:, 5]), np.where(v, -1, n + regs[:, 4]),
                         np.where(v, -1, 2 * n + regs[:, 6]))

    def compute_hook_free(self, it: int, pid: np.ndarray, regs: np.ndarray,
                          val: np.ndarray) -> tuple[Any, Any, Any]:
        v, _, sink, _ = self._parts(pid, regs)
        di = regs[:, 6]
        go = ~v & (val[:, 1] == 1) & (val[:, 2] == 0) & (val[:, 0] != di)
        no, zero = np.full_like(pid, -1), np.zeros_like(pid)
        return (self._out(np.where(v, -1, np.where(go, di, sink)), no, no),
                self._out(np.where(go, val[:, 0], 0), zero, zero), regs)

    def read_reread(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        v = self._parts(pid, regs)[0]
        no = np.full_like(pid, -1)
        return self._out(np.where(v, pid, -1), no, no)

    def compute_reread(self, it: int, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[Any, Any, Any]:
        v = self._parts(pid, regs)[0]
        new = regs.copy()
        new[:, 3] = np.where(v, val[:, 0], regs[:, 3])
        no = np.full((pid.shape[0], 3), -1, dtype=np.int64)
        return no, np.zeros_like(no), new

    def read_jump(self, it: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        return self.read_star1(it, pid, regs)

    def compute_jump(self, it: int, pid: np.ndarray, regs: np.ndarray, val: np.ndarray) -> tuple[Any, Any, Any]:
        v, n, _, _ = self._parts(pid, regs)
        new = regs.copy()
        new[:, 3] = np.where(v, val[:, 0], regs[:, 3])
        wa = self._out(np.where(v, pid, -1), np.where(v, n + pid, -1), np.where(v, 2 * n + pid, -1))
        return wa, self._out(val[:, 0], np.ones_like(pid), np.zeros_like(pid)), new

    # -- answers ---------------------------------------------------------------------------------------------
    def output(self, memory: np.ndarray, inst: GraphInstance) -> dict[str, list[list[int]]]:
        groups: dict[int, list[int]] = {}
        for node in range(inst.n):
            groups.setdefault(int(memory[node]), []).append(node)
        return {"components": sorted(groups.values())}

    def oracle(self, inst: GraphInstance) -> dict[str, list[list[int]]]:
        import networkx as nx  # imported here: networkx is the oracle's only user, and costs ~0.1 s to load

        g = nx.Graph()
        g.add_nodes_from(range(inst.n))
        g.add_edges_from(inst.edges)
        return {"components": sorted(sorted(c) for c in nx.connected_components(g))}

    def exact_counters(self, inst: GraphInstance) -> Counters:
        n, m = inst.n, len(inst.edges)
        T = self.length(n)
        P = n + 2 * m if T else 0
        return Counters(time=T, processors=P, work=P * T, reads=(9 * n + 20 * m) * T // 9,
                        writes=(10 * n + 6 * m) * T // 9, memory=3 * n + 4 * m + 1)
