"""Max-flow / min-cut instances (PAPER.md §3.3): validated instances, a seeded generator and networkx certificates.

An instance is a simple directed graph with unit capacities on node ids ``0..19``, with no pair of opposite edges,
a source ``s`` and a target ``t``.  The generator is the project's reconstruction of the official
``maxflow_loader.py``: node ids drawn without replacement from ``0..14``, 20-30 random one-way edges (capped by the
number of node pairs), ``s != t`` at random, the edge ``s -> t`` added (or turned round) if ``t`` is unreachable,
then "min-cut patching": random edges from the source side of a minimum cut to the sink side until the max-flow
value reaches a target ``k ~ U[min_flow, max_flow]`` (or no such pair is left).

The certificates use networkx only (independent of the token process): two different max-flow algorithms, the cut
property and reachability.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from networkx.algorithms.flow import edmonds_karp, preflow_push

from pram.rng import SeedLike, as_generator
from reductions.errors import InvalidInstance

__all__ = ["FlowInstance", "MAX_NODE_ID", "NODE_POOL", "certificate_problems", "generate_instance",
           "max_flow_values"]

MAX_NODE_ID = 19  # the vocabulary has node ids 0..19 and levels 0..19
NODE_POOL = 15  # generated node ids come from 0..14, as in the official loader


@dataclass(frozen=True, slots=True)
class FlowInstance:
    """A unit-capacity s-t flow instance.  Nodes and edges are kept sorted; every problem is reported at once.

    Examples
    --------
    >>> FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (1, 2)), s=0, t=2).edges
    ((0, 1), (1, 2))
    >>> FlowInstance(nodes=(0, 1), edges=((0, 1), (1, 0), (0, 0)), s=0, t=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: invalid flow instance: s and t are both 0; self-loop (0, 0); opposite edges ...
    """

    nodes: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]
    s: int
    t: int

    def __post_init__(self) -> None:
        nodes = tuple(sorted(int(v) for v in self.nodes))
        edges = tuple(sorted((int(u), int(v)) for u, v in self.edges))
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "edges", edges)
        problems = []
        if len(set(nodes)) != len(nodes):
            problems.append("repeated node ids")
        bad = [v for v in nodes if not 0 <= v <= MAX_NODE_ID]
        if bad:
            problems.append(f"node ids must be in 0..{MAX_NODE_ID}, got {bad}")
        st_ok = True
        for name, v in (("s", self.s), ("t", self.t)):
            if isinstance(v, bool | np.bool_) or not isinstance(v, int | np.integer):
                problems.append(f"{name} must be an integer node id, got {type(v).__name__} {v!r}")
                st_ok = False
            else:
                object.__setattr__(self, name, int(v))
                if int(v) not in nodes:
                    problems.append(f"{name}={v} is not a node")
        if st_ok and self.s == self.t:
            problems.append(f"s and t are both {self.s}")
        seen: set[tuple[int, int]] = set()
        for u, v in edges:
            if u == v:
                problems.append(f"self-loop ({u}, {v})")
            elif u not in nodes or v not in nodes:
                problems.append(f"edge ({u}, {v}) has an endpoint that is not a node")
            elif (u, v) in seen:
                problems.append(f"repeated edge ({u}, {v})")
            elif (v, u) in seen:
                problems.append(f"opposite edges ({v}, {u}) and ({u}, {v})")
            seen.add((u, v))
        if problems:
            raise InvalidInstance("invalid flow instance: " + "; ".join(problems))

    def digraph(self) -> nx.DiGraph:
        """The graph as a networkx DiGraph with ``capacity=1`` on every edge."""
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(self.edges, capacity=1)
        return g

    def to_json(self) -> dict[str, object]:
        return {"nodes": list(self.nodes), "edges": [list(e) for e in self.edges], "s": self.s, "t": self.t}


def max_flow_values(inst: FlowInstance) -> tuple[int, int]:
    """The max-flow value by networkx's Edmonds-Karp and by its preflow-push (two independent algorithms)."""
    g = inst.digraph()
    return (int(nx.maximum_flow_value(g, inst.s, inst.t, flow_func=edmonds_karp)),
            int(nx.maximum_flow_value(g, inst.s, inst.t, flow_func=preflow_push)))


def generate_instance(*, nodes: int, seed: SeedLike = 0, edges: int | None = None, min_flow: int = 1,
                      max_flow: int | None = None) -> FlowInstance:
    """A random instance with ``nodes`` nodes (2..15); see the module docstring for the method.

    ``edges`` fixes the initial number of random edges (default ``U[20, 30]`` capped by the number of pairs);
    ``max_flow`` defaults to ``nodes - 1`` (the largest value a simple graph allows).

    Examples
    --------
    >>> inst = generate_instance(nodes=5, seed=1)
    >>> len(inst.nodes), min(max_flow_values(inst)) >= 1
    (5, True)

    Notes
    -----
    O(nodes^2) edges and at most O(nodes^2) max-flow computations for the patching.
    """
    pairs = nodes * (nodes - 1) // 2
    top = nodes - 1 if max_flow is None else max_flow
    problems = []
    if not 2 <= nodes <= NODE_POOL:
        problems.append(f"nodes must be in 2..{NODE_POOL} (node ids come from 0..{NODE_POOL - 1}), got {nodes}")
    if edges is not None and not 1 <= edges <= max(pairs, 1):
        problems.append(f"edges must be in 1..{pairs} for {nodes} nodes (one direction per pair), got {edges}")
    if not 1 <= min_flow <= top:
        problems.append(f"flow window [{min_flow}, {top}] is empty or starts below 1")
    if top > nodes - 1:
        problems.append(f"max_flow {top} exceeds nodes - 1 = {nodes - 1}, the most a simple graph allows")
    if problems:
        raise InvalidInstance("impossible graph request: " + "; ".join(problems))
    rng = as_generator(seed)
    ids = sorted(int(v) for v in rng.choice(NODE_POOL, size=nodes, replace=False))
    all_pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
    m = min(int(rng.integers(20, 31)), pairs) if edges is None else edges
    chosen = sorted(int(k) for k in rng.choice(len(all_pairs), size=m, replace=False))
    flips = rng.integers(0, 2, size=m)
    arcs = {(a, b) if f == 0 else (b, a) for (a, b), f in zip((all_pairs[k] for k in chosen), flips, strict=True)}
    s, t = (ids[int(k)] for k in rng.choice(nodes, size=2, replace=False))
    g = nx.DiGraph()
    g.add_nodes_from(ids)
    g.add_edges_from(sorted(arcs))
    if not nx.has_path(g, s, t):
        if g.has_edge(t, s):
            g.remove_edge(t, s)
        g.add_edge(s, t)
    target = int(rng.integers(min_flow, top + 1))
    nx.set_edge_attributes(g, 1, "capacity")
    while True:
        value, (side_s, _) = nx.minimum_cut(g, s, t, flow_func=edmonds_karp)
        if value >= target:
            break
        free = [(a, b) for a in sorted(side_s) for b in ids
                if b not in side_s and not g.has_edge(a, b) and not g.has_edge(b, a)]
        if not free:
            break
        a, b = free[int(rng.integers(len(free)))]
        g.add_edge(a, b, capacity=1)
    return FlowInstance(nodes=tuple(ids), edges=tuple(sorted(g.edges())), s=s, t=t)


def certificate_problems(inst: FlowInstance, remaining: list[tuple[int, int]]) -> list[str]:
    """Every reason why deleting ``edges - remaining`` is not a minimum s-t cut (empty list = certified).

    Checks: the remaining edges are original edges; no s-t path remains; the deleted edges are exactly the edges
    leaving the set of nodes still reachable from s (they form a cut); their number equals the max-flow value by
    two networkx algorithms (so the cut is minimum).

    Examples
    --------
    >>> inst = FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (0, 2), (1, 2)), s=0, t=2)
    >>> certificate_problems(inst, [(0, 1)])
    []
    >>> certificate_problems(inst, [(0, 1), (1, 2)])
    ['an s-t path remains', 'deleted 1 edge(s) but the max-flow value is 2 (edmonds_karp) / 2 (preflow_push)']
    """
    original = set(inst.edges)
    rem = sorted(set(remaining))
    problems = [f"remaining edge {e} is not an original edge" for e in rem if e not in original]
    deleted = sorted(original - set(rem))
    g = nx.DiGraph()
    g.add_nodes_from(inst.nodes)
    g.add_edges_from(e for e in rem if e in original)
    if nx.has_path(g, inst.s, inst.t):
        problems.append("an s-t path remains")
    reach = nx.descendants(g, inst.s) | {inst.s}
    cut = sorted((u, v) for u, v in inst.edges if u in reach and v not in reach)
    if cut != deleted and not problems:
        problems.append(f"deleted edges {deleted} are not the edges leaving s's side {cut}")
    ek, pp = max_flow_values(inst)
    if not len(deleted) == ek == pp:
        problems.append(f"deleted {len(deleted)} edge(s) but the max-flow value is {ek} (edmonds_karp) / {pp} "
                        f"(preflow_push)")
    return problems
