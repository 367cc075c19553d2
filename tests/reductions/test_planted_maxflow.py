"""The max-flow min-cut certificate on wrong cuts, each rejected for its reason (issue 13 §3, class 6).

For a seeded random instance and a random node set X containing s but not t, X is shrunk to the nodes s still
reaches once the edges leaving X are deleted (repeated to a fixed point), so the deleted edges are *exactly* the
edges leaving s's side: a genuine cut.  Whether it is minimum is decided by networkx's own minimum cut (computed
here, independently of :func:`certificate_problems`).  A non-minimum cut must be rejected for its size alone; a
minimum cut must be accepted.  Other faults: a cut with one edge put back (an s-t path remains), a minimum cut plus
an edge that leaves no side (not the edges leaving s's side), an edge that was never in the instance.
"""

from __future__ import annotations

import networkx as nx
from hypothesis import assume, given
from hypothesis import strategies as st

from reductions.tasks.maxflow_graph import FlowInstance, certificate_problems, generate_instance

SIZE = "deleted {k} edge(s) but the max-flow value is {v} (edmonds_karp) / {v} (preflow_push)"


def graph(inst: FlowInstance) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(inst.nodes)
    g.add_edges_from(inst.edges, capacity=1)
    return g


def min_cut(inst: FlowInstance) -> tuple[int, list[tuple[int, int]]]:
    value, (side, _) = nx.minimum_cut(graph(inst), inst.s, inst.t)
    return int(value), sorted((u, v) for u, v in inst.edges if u in side and v not in side)


def closed_cut(inst: FlowInstance, x: set[int]) -> tuple[set[int], list[tuple[int, int]]]:
    """Shrink ``x`` until it is exactly what s reaches after deleting the edges leaving it."""
    while True:
        out = [(u, v) for u, v in inst.edges if u in x and v not in x]
        g = graph(inst)
        g.remove_edges_from(out)
        reach = nx.descendants(g, inst.s) | {inst.s}
        if reach == x:
            return x, sorted(out)
        x = reach


instances = st.builds(lambda n, seed: generate_instance(nodes=n, seed=seed), st.integers(4, 9), st.integers(0, 10**6))


@given(instances, st.data())
def test_every_closed_cut_is_accepted_iff_minimum_and_rejected_for_its_size(inst: FlowInstance,
                                                                              data: st.DataObject) -> None:
    others = [v for v in inst.nodes if v not in (inst.s, inst.t)]
    extra = data.draw(st.sets(st.sampled_from(others)) if others else st.just(set()), label="X")
    _, deleted = closed_cut(inst, {inst.s} | extra)
    value, _ = min_cut(inst)
    remaining = [e for e in inst.edges if e not in deleted]
    problems = certificate_problems(inst, remaining)
    if len(deleted) == value:
        assert problems == []
    else:
        assert len(deleted) > value
        assert problems == [SIZE.format(k=len(deleted), v=value)], problems


@given(instances)
def test_deleting_all_edges_out_of_s_when_more_than_the_flow(inst: FlowInstance) -> None:
    value, _ = min_cut(inst)
    out_s = [e for e in inst.edges if e[0] == inst.s]
    assume(len(out_s) > value)
    problems = certificate_problems(inst, [e for e in inst.edges if e not in out_s])
    assert problems == [SIZE.format(k=len(out_s), v=value)]


@given(instances, st.integers(0, 100))
def test_a_min_cut_with_one_edge_put_back_leaves_a_path(inst: FlowInstance, i: int) -> None:
    value, cut = min_cut(inst)
    assume(cut)
    back = cut[i % len(cut)]
    remaining = [e for e in inst.edges if e not in cut] + [back]
    assert certificate_problems(inst, [e for e in inst.edges if e not in cut]) == []
    problems = certificate_problems(inst, remaining)
    assert "an s-t path remains" in problems
    assert SIZE.format(k=len(cut) - 1, v=value) in problems


@given(instances, st.integers(0, 100))
def test_a_min_cut_plus_an_edge_behind_it_is_not_the_edges_leaving_s_side(inst: FlowInstance, i: int) -> None:
    value, cut = min_cut(inst)
    g = graph(inst)
    g.remove_edges_from(cut)
    reach = nx.descendants(g, inst.s) | {inst.s}
    behind = [e for e in inst.edges if e[0] not in reach]  # deleting one of these changes no reachability
    assume(behind)
    deleted = set(cut) | {behind[i % len(behind)]}
    problems = certificate_problems(inst, [e for e in inst.edges if e not in deleted])
    assert problems[0].startswith("deleted edges ") and "are not the edges leaving s's side" in problems[0]
    assert problems[1:] == [SIZE.format(k=len(deleted), v=value)]


def test_a_remaining_edge_that_is_not_in_the_instance() -> None:
    inst = FlowInstance(nodes=(0, 1, 2, 3), edges=((0, 1), (0, 2), (1, 3), (2, 3)), s=0, t=3)
    assert certificate_problems(inst, [(0, 1), (0, 2)]) == []
    problems = certificate_problems(inst, [(0, 1), (0, 2), (2, 1)])
    assert problems == ["remaining edge (2, 1) is not an original edge"]
    # by hand: max flow 2 (0->3, 0->2->3); X = {0} cuts 3 edges (not minimum), X = {0, 1, 2} cuts 2 (minimum)
    inst2 = FlowInstance(nodes=(0, 1, 2, 3), edges=((0, 1), (0, 2), (0, 3), (1, 2), (2, 3)), s=0, t=3)
    assert certificate_problems(inst2, [(1, 2), (2, 3)]) == [SIZE.format(k=3, v=2)]
    assert certificate_problems(inst2, [(0, 1), (0, 2), (1, 2)]) == []
