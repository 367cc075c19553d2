"""Which view a trace gets, and the task data that view needs beyond the tokens.

* ``grid`` -- the Sudoku process of :mod:`reductions.tasks.sudoku` (its vocabulary, AP-MDM, 324 tokens): a 9x9
  grid of cells ``value colour marker``, each step named by the solver event it belongs to (:func:`step_label`);
* ``graph`` -- the max-flow process of :mod:`reductions.tasks.maxflow` (its vocabulary and a start sequence that
  parses): nodes laid out once, edges with their residual direction, BFS levels, the augmenting path and the cut,
  each step named by its phase;
* ``tokens`` -- every other trace (PRAM reductions, Dyck, parity, the machine demos): a strip of tokens.

The view is read from the trace itself (vocabulary, paradigm, start), never from a file name.  Every view also shows
the token strip.  The graph layout is deterministic (the project's choice [I]): the nodes on an ellipse, ``s`` at the
left and ``t`` at the right, the others ordered by (BFS distance from ``s`` in the start graph, id) and dealt
alternately to the upper and the lower arc, so that the flow runs left to right.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from machines.records import StepRecord
from machines.vocab import BaseVocabulary
from proofs_check.errors import UsageError
from reductions.errors import ReductionError
from reductions.tasks.maxflow import FLOW_VOCAB, decide, parse_state
from reductions.tasks.sudoku import decision_type
from reductions.tasks.sudoku_grid import CONTEXT, SUDOKU_VOCAB

__all__ = ["LABELLED", "VIEWS", "choose_view", "graph_layout", "phase_labels", "step_label"]

VIEWS = ("grid", "graph", "tokens")


def _is_sudoku(paradigm: str, vocab: BaseVocabulary, start: np.ndarray | None) -> bool:
    return (paradigm == "ap-mdm" and tuple(vocab.names) == SUDOKU_VOCAB.names and start is not None
            and len(start) == CONTEXT)


def _is_flow(paradigm: str, vocab: BaseVocabulary, start: np.ndarray | None) -> bool:
    if paradigm != "ap-mdm" or tuple(vocab.names) != FLOW_VOCAB.names or start is None:
        return False
    try:
        parse_state(start)
    except ReductionError:
        return False
    return True


def choose_view(paradigm: str, vocab: BaseVocabulary, start: np.ndarray | None, wanted: str | None = None) -> str:
    """The view of a trace: ``wanted`` if given (and possible), else the one that fits (see the module docstring).

    Raises :class:`~proofs_check.errors.UsageError` when ``wanted`` does not fit the trace.

    Examples
    --------
    >>> from machines.demos import DEMO_VOCAB
    >>> choose_view("ap-mdm", DEMO_VOCAB, np.array([0, 1]))
    'tokens'
    >>> choose_view("ap-mdm", SUDOKU_VOCAB, np.zeros(324, dtype=np.int64))
    'grid'
    """
    fits = {"grid": _is_sudoku(paradigm, vocab, start), "graph": _is_flow(paradigm, vocab, start), "tokens": True}
    if wanted is None:
        return "grid" if fits["grid"] else "graph" if fits["graph"] else "tokens"
    if wanted not in VIEWS:
        raise UsageError(f"--view must be one of {', '.join(VIEWS)}, got {wanted!r}")
    if not fits[wanted]:
        what = {"grid": "a Sudoku trace (powergen sudoku solve --trace)",
                "graph": "a max-flow trace (powergen maxflow run --trace)"}[wanted]
        raise UsageError(f"--view {wanted} needs {what}; this {paradigm} trace is not one (use --view tokens)")
    return wanted


def graph_layout(start: np.ndarray) -> dict[str, Any]:
    """Node positions (in a 0..1000 x 0..620 box), the start graph's edges, ``s`` and ``t``.

    Examples
    --------
    >>> from reductions.tasks.maxflow import encode_instance
    >>> from reductions.tasks.maxflow_graph import FlowInstance
    >>> g = graph_layout(encode_instance(FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (1, 2)), s=0, t=2)))
    >>> g["s"], g["t"], [n[0] for n in g["nodes"]], g["edges"]
    (0, 2, [0, 1, 2], [[0, 1], [1, 2]])
    """
    st = parse_state(start)
    ids = [v.ident for v in st.nodes]
    edges = [[e.u, e.v] for e in st.edges if not e.marked]
    dist = {st.s: 0}
    frontier = [st.s]
    while frontier:
        nxt = []
        for a in frontier:
            for u, v in edges:
                if u == a and v not in dist:
                    dist[v] = dist[a] + 1
                    nxt.append(v)
        frontier = sorted(nxt)
    far = max(dist.values(), default=0) + 1
    others = sorted((v for v in ids if v not in (st.s, st.t)), key=lambda v: (dist.get(v, far), v))
    top, bottom = others[0::2], others[1::2]
    place = {st.s: math.pi, st.t: 0.0}
    for arc, sign in ((top, 1), (bottom, -1)):
        for k, v in enumerate(arc):
            place[v] = math.pi * (1 - (k + 1) / (len(arc) + 1)) * sign
    nodes = [[v, round(500 + 400 * math.cos(place[v]), 1), round(310 - 260 * math.sin(place[v]), 1)]
             for v in sorted(ids)]
    return {"s": st.s, "t": st.t, "nodes": nodes, "edges": edges}


#: The views whose steps carry a name (:func:`step_label`).
LABELLED = ("grid", "graph")


def step_label(view: str, rec: StepRecord) -> str:
    """The name of step ``rec`` in ``view``: the max-flow phase, the Sudoku solver's event, ``""`` for tokens.

    * ``graph``: what :func:`reductions.tasks.maxflow.decide` reads off the step's input ``x`` (``"?"`` when ``x``
      does not parse);
    * ``grid``: (``"?"`` for a step whose input is not 324 tokens or has no ``y``) the solver event the step
      belongs to, read off ``(x, y, remask)`` by
      :func:`reductions.tasks.sudoku.decision_type`: ``cell-choice`` (the MRV cell is remasked), then
      ``assign``, ``branch`` or ``contradiction`` (the value and marker written), ``backtrack-remask`` /
      ``backtrack-restore``, ``refill-value`` / ``refill-marker``.  Exact for the oracle's traces (the only Sudoku
      traces powergen writes: ``sudoku solve --trace``); a step of any other trace gets the event whose token pattern
      it has.

    Examples
    --------
    >>> from reductions.tasks.sudoku import iter_transitions, solve
    >>> from machines.trace import iter_records_from_transitions
    >>> recs = iter_records_from_transitions(iter_transitions(solve("1" + "." * 80)))
    >>> [step_label("grid", next(recs)) for _ in range(3)]
    ['cell-choice', 'branch', 'cell-choice']
    """
    if view == "graph":
        try:
            return decide(np.asarray(rec.x, dtype=np.int64))[0]
        except ReductionError:
            return "?"
    if view == "grid":
        x = np.asarray(rec.x, dtype=np.int64)
        y, remask = rec.prediction.y, rec.prediction.remask
        if x.shape != (CONTEXT,) or y is None or np.shape(y) != x.shape:
            return "?"  # not a grid step (a length change, or no y): no solver event to name
        return decision_type(x, np.asarray(y), np.zeros(x.shape, np.bool_) if remask is None
                             else np.asarray(remask))
    return ""


def phase_labels(view: str, records: Iterable[StepRecord], labels: list[str]) -> Iterator[StepRecord]:
    """Pass ``records`` through, appending to ``labels`` the name of each step (:func:`step_label`; views of
    :data:`LABELLED` only)."""
    for rec in records:
        if view in LABELLED:
            labels.append(step_label(view, rec))
        yield rec
