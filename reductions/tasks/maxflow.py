"""Edmonds-Karp as an AP-MDM edit process that ends by deleting a minimum s-t cut (PAPER.md §3.3).

Sequence: ``[PROMPT] [SRC] s [TGT] t [GRAPH] ( u v f1 f2 )* [NODES] ( id lvl par )* tail``.  Edge slots ``[FB] M``:
the unit residual arc ``u -> v`` is available (no flow); ``M [FB]``: the edge carries flow, the residual arc is
``v -> u``.  Node slots: level ``[LVLk]`` or ``[INF]``, parent ``[NIL]`` or a node id.  Tail: empty, ``[EOA]``,
then ``[EOA] [EOS]``.  Initially edges are ``( u v )`` and nodes ``( id )``.

:func:`predictor` is a **pure function of the sequence**; it recognises the phase from the sequence alone and
takes one operation per step (the official scheduler's operations, PAPER.md §3.3):

=======================  ================================================================================
INIT_SLOT1               insert a mask after ``v`` in every edge and after ``id`` in every node
INIT_SLOT2               every such mask: unmask (edge ``[FB]``; node ``[LVL0]`` at s, else ``[INF]``) and
                         insert a mask after it, in the same step
INIT_COMMIT              node parent masks -> ``[NIL]``
BFS_LAYER_R              k = largest level; remask level and parent of every ``[INF]`` node one available
                         residual arc away from a level-k node
BFS_LAYER_Y              unmask them: ``[LVL(k+1)]``, parent = the smallest-id level-k node with such an arc
AUG_FLIP                 (no new node, t has a level) along the parent chain t -> s flip every edge's slots
                         (remask the ``[FB]``, unmask the mask to ``[FB]``); remask every node's level/parent
AUG_RESET                (all node slots masked) s -> ``[LVL0] [NIL]``, others -> ``[INF] [NIL]``
APPEND_EOA_E / _Y        (no new node, t unreached) insert a mask at the end / unmask it to ``[EOA]``
CUT_MARK                 remask the 6 tokens ``( u v f1 f2 )`` of every edge from a reached to an unreached node
CUT_DELETE_AND_EXPAND    delete those masks and insert a mask at the end
APPEND_EOS               unmask the last mask to ``[EOS]``; the machine halts on EOS
=======================  ================================================================================

**Persistent masks (the project's resolution of the hazard of PAPER.md §3.3).**  The empty residual slot of an
edge is a MASK that must survive many steps.  Under Algorithm 1 every mask without a remask bit is unmasked, so the
predictor sets ``remask = 1`` on every mask it does not unmask or delete ("remask on a mask keeps it masked").  The
token sequence is therefore exactly the official one and ``g`` is Algorithm 1 unchanged; ``y*`` is MASK at those
positions, which the supervised unmask loss skips (it sums over masks with ``y* != MASK``, PAPER.md §3.5(a)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.paradigms import APMDM
from machines.predictor import Prediction, Transition
from machines.records import MachineCounters, StepRecord
from machines.transition import apply_g
from machines.vocab import Vocabulary
from reductions.errors import InvalidInstance
from reductions.tasks.maxflow_graph import MAX_NODE_ID, FlowInstance, certificate_problems

__all__ = ["FLOW_VOCAB", "FlowRun", "decide", "encode_instance", "parse_state", "predictor", "run_maxflow",
           "transitions", "verify_run"]

_NAMES = ("[PROMPT]", "[SRC]", "[TGT]", "[GRAPH]", "[NODES]", "[EOS]", "[MASK]", "(", ")", "[FB]", "[EOA]", "[INF]",
          "[NIL]", *(f"[LVL{k}]" for k in range(MAX_NODE_ID + 1)), *(str(v) for v in range(MAX_NODE_ID + 1)))
FLOW_VOCAB = Vocabulary(tokens=_NAMES, mask="[MASK]", eos="[EOS]")
PROMPT, SRC, TGT, GRAPH, NODES, EOS, M, LP, RP, FB, EOA, INF, NIL = range(13)
LVL0 = 13
NODE0 = LVL0 + MAX_NODE_ID + 1


def encode_instance(inst: FlowInstance) -> np.ndarray:
    """Start sequence ``[PROMPT] [SRC] s [TGT] t [GRAPH] ( u v )* [NODES] ( id )*`` (int64).

    Examples
    --------
    >>> x = encode_instance(FlowInstance(nodes=(0, 1), edges=((0, 1),), s=0, t=1))
    >>> FLOW_VOCAB.decode(x)
    ['[PROMPT]', '[SRC]', '0', '[TGT]', '1', '[GRAPH]', '(', '0', '1', ')', '[NODES]', '(', '0', ')', '(', '1', ')']
    """
    seq = [PROMPT, SRC, NODE0 + inst.s, TGT, NODE0 + inst.t, GRAPH]
    for u, v in inst.edges:
        seq += [LP, NODE0 + u, NODE0 + v, RP]
    seq.append(NODES)
    for v in inst.nodes:
        seq += [LP, NODE0 + v, RP]
    return np.array(seq, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Edge:
    start: int  # position of "(" (or of the first of 6 masks)
    u: int
    v: int
    slots: tuple[int, ...]  # positions of the slots between v and ")"
    marked: bool  # the 6 tokens are masks (a cut edge about to be deleted)


@dataclass(frozen=True, slots=True)
class _Node:
    start: int
    ident: int
    slots: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FlowState:
    """A parsed sequence: source, target, edges, nodes, tail tokens and where the tail starts."""

    s: int
    t: int
    edges: tuple[_Edge, ...]
    nodes: tuple[_Node, ...]
    tail: tuple[int, ...]
    tail_start: int


def parse_state(x: np.ndarray | list[int]) -> FlowState:
    """Parse a sequence of the process; any other sequence raises :class:`~reductions.errors.InvalidInstance`.

    Examples
    --------
    >>> parse_state(encode_instance(FlowInstance(nodes=(0, 1), edges=((0, 1),), s=0, t=1))).edges[0].v
    1
    >>> parse_state([PROMPT, SRC])
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: not a max-flow sequence: it ends inside the header (length 2)
    """
    try:
        seq = [int(v) for v in x]
    except (TypeError, ValueError) as exc:
        raise InvalidInstance(f"not a max-flow sequence: tokens must be integers ({exc})") from None
    try:
        return _parse_state(seq)
    except IndexError:
        raise InvalidInstance(f"not a max-flow sequence: it ends inside a record (length {len(seq)})") from None


def _node_id(seq: list[int], i: int, what: str) -> int:
    v = seq[i] - NODE0
    if not 0 <= v <= MAX_NODE_ID:
        raise InvalidInstance(f"not a max-flow sequence: position {i} ({what}) holds token {seq[i]}, not a node id")
    return v


def _parse_state(seq: list[int]) -> FlowState:
    if len(seq) < 6:
        raise InvalidInstance(f"not a max-flow sequence: it ends inside the header (length {len(seq)})")
    if seq[:2] != [PROMPT, SRC] or seq[3] != TGT or seq[5] != GRAPH:
        raise InvalidInstance("not a max-flow sequence: bad header (expected [PROMPT] [SRC] s [TGT] t [GRAPH])")
    s, t = _node_id(seq, 2, "s"), _node_id(seq, 4, "t")
    i, edges = 6, []
    while seq[i] != NODES:
        if seq[i] == M:
            edges.append(_Edge(start=i, u=-1, v=-1, slots=(), marked=True))
            i += 6
            continue
        if seq[i] != LP:
            raise InvalidInstance(f"not a max-flow sequence: position {i} should open an edge '(' or be [NODES]")
        u, v = _node_id(seq, i + 1, "edge start"), _node_id(seq, i + 2, "edge end")
        j = i + 3
        while seq[j] != RP:
            j += 1
        edges.append(_Edge(start=i, u=u, v=v, slots=tuple(range(i + 3, j)), marked=False))
        i = j + 1
    i += 1
    nodes = []
    while i < len(seq) and seq[i] == LP:
        ident = _node_id(seq, i + 1, "node id")
        j = i + 2
        while seq[j] != RP:
            j += 1
        nodes.append(_Node(start=i, ident=ident, slots=tuple(range(i + 2, j))))
        i = j + 1
    return FlowState(s=s, t=t, edges=tuple(edges), nodes=tuple(nodes), tail=tuple(seq[i:]), tail_start=i)


def _arcs(seq: list[int], st: FlowState) -> list[tuple[int, int, _Edge]]:
    """Available residual arcs ``(a, b, edge)`` of the unmarked, fully initialised edges."""
    out = []
    for e in st.edges:
        if e.marked or len(e.slots) != 2:
            continue
        if seq[e.slots[0]] == FB:
            out.append((e.u, e.v, e))
        elif seq[e.slots[1]] == FB:
            out.append((e.v, e.u, e))
    return out


def predictor(x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
    """The oracle ``f``: one operation of the table in the module docstring, read off ``x`` alone.

    ``rng`` is accepted for the :class:`~machines.predictor.Predictor` protocol and never used.

    Examples
    --------
    >>> x = encode_instance(FlowInstance(nodes=(0, 1), edges=((0, 1),), s=0, t=1))
    >>> p = predictor(x)
    >>> np.flatnonzero(p.insert).tolist()  # after v of the edge and after the id of each node
    [8, 12, 15]

    Notes
    -----
    O(|x| + n * |E|) per call, plain Python over the parsed sequence.
    """
    return decide(x)[1]


def decide(x: np.ndarray) -> tuple[str, Prediction]:
    """The operation name (``"INIT_SLOT1"``, ..., ``"HALTED"``) and the prediction of :func:`predictor`."""
    seq = [int(v) for v in x]
    n = len(seq)
    st = parse_state(seq)
    y = np.array(seq, dtype=np.int64)
    remask = np.array([v == M for v in seq], dtype=np.bool_)  # keep persistent masks masked
    insert = np.zeros(n, dtype=np.bool_)
    delete = np.zeros(n, dtype=np.bool_)

    def unmask(pos: int, tok: int) -> None:
        y[pos] = tok
        remask[pos] = False

    def done(op: str) -> tuple[str, Prediction]:
        return op, Prediction(y=y, remask=remask.astype(np.int64), insert=insert.astype(np.int64),
                          delete=delete.astype(np.int64))

    tail = st.tail
    if tail == (EOA, EOS):
        return done("HALTED")  # fixed point (the machine has already halted on EOS)
    if tail == (EOA, M):
        unmask(n - 1, EOS)
        return done("APPEND_EOS")
    if tail == (M,):
        unmask(n - 1, EOA)
        return done("APPEND_EOA_Y")
    if any(len(e.slots) == 0 and not e.marked for e in st.edges) or any(len(v.slots) == 0 for v in st.nodes):
        for e in st.edges:
            insert[e.start + 2] = True
        for v in st.nodes:
            insert[v.start + 1] = True
        return done("INIT_SLOT1")
    if any(len(e.slots) == 1 for e in st.edges) or any(len(v.slots) == 1 for v in st.nodes):
        for e in st.edges:
            unmask(e.slots[0], FB)
            insert[e.slots[0]] = True
        for v in st.nodes:
            unmask(v.slots[0], LVL0 if v.ident == st.s else INF)
            insert[v.slots[0]] = True
        return done("INIT_SLOT2")
    level = {v.ident: seq[v.slots[0]] for v in st.nodes}
    masked = [v for v in st.nodes if seq[v.slots[1]] == M]
    if masked and all(seq[v.slots[0]] != M for v in masked):  # INIT_COMMIT
        for v in masked:
            unmask(v.slots[1], NIL)
        return done("INIT_COMMIT")
    if masked and len(masked) == len(st.nodes):  # AUG_RESET
        for v in st.nodes:
            unmask(v.slots[0], LVL0 if v.ident == st.s else INF)
            unmask(v.slots[1], NIL)
        return done("AUG_RESET")
    k = max((lv - LVL0 for lv in level.values() if LVL0 <= lv < NODE0), default=0)
    arcs = _arcs(seq, st)
    if masked:  # BFS_LAYER_Y
        for v in masked:
            parents = sorted(a for a, b, _ in arcs if b == v.ident and level.get(a) == LVL0 + k)
            unmask(v.slots[0], LVL0 + k + 1)
            unmask(v.slots[1], NODE0 + parents[0])
        return done("BFS_LAYER_Y")
    if tail == ():
        new = sorted({b for a, b, _ in arcs if level.get(a) == LVL0 + k and level.get(b) == INF})
        if new:  # BFS_LAYER_R
            for v in st.nodes:
                if v.ident in new:
                    remask[list(v.slots)] = True
            return done("BFS_LAYER_R")
        if level[st.t] != INF:  # AUG_FLIP
            parent = {v.ident: seq[v.slots[1]] - NODE0 for v in st.nodes}
            c = st.t
            while c != st.s:
                p = parent[c]
                e = next(e for a, b, e in arcs if a == p and b == c)
                full = e.slots[0] if seq[e.slots[0]] == FB else e.slots[1]
                empty = e.slots[1] if full == e.slots[0] else e.slots[0]
                remask[full] = True
                unmask(empty, FB)
                c = p
            for v in st.nodes:
                remask[list(v.slots)] = True
            return done("AUG_FLIP")
        insert[n - 1] = True  # APPEND_EOA_E
        return done("APPEND_EOA_E")
    # tail == (EOA,)
    marked = [e for e in st.edges if e.marked]
    cut = [e for e in st.edges if not e.marked and level[e.u] != INF and level[e.v] == INF]
    if cut and not marked:  # CUT_MARK
        for e in cut:
            remask[e.start:e.start + 6] = True
        return done("CUT_MARK")
    for e in marked:  # CUT_DELETE_AND_EXPAND
        delete[e.start:e.start + 6] = True
        remask[e.start:e.start + 6] = False
    insert[n - 1] = True
    return done("CUT_DELETE_AND_EXPAND")


@dataclass(frozen=True, slots=True)
class FlowRun:
    """A finished run: instance, records, final sequence, halt reason, counters and derived quantities."""

    instance: FlowInstance
    records: tuple[StepRecord, ...]
    final: np.ndarray
    halt_reason: str
    counters: MachineCounters
    ops: tuple[str, ...]
    remaining: tuple[tuple[int, int], ...]

    @property
    def steps(self) -> int:
        return len(self.records)

    @property
    def augmentations(self) -> int:
        return self.ops.count("AUG_FLIP")

    @property
    def deleted(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted(set(self.instance.edges) - set(self.remaining)))


def run_maxflow(inst: FlowInstance, *, max_steps: int = 100_000) -> FlowRun:
    """Run the process on an instance with :class:`machines.paradigms.APMDM` (halts on ``[EOS]``).

    Examples
    --------
    >>> r = run_maxflow(FlowInstance(nodes=(0, 1, 2), edges=((0, 1), (0, 2), (1, 2)), s=0, t=2))
    >>> r.halt_reason, r.augmentations, r.deleted, FLOW_VOCAB.decode(r.final[-2:])
    ('eos', 2, ((0, 1), (0, 2)), ['[EOA]', '[EOS]'])
    """
    res = APMDM(vocab=FLOW_VOCAB, predictor=predictor, max_steps=max_steps).run(encode_instance(inst),
                                                                                 keep_records=True)
    records = res.records or ()
    st = parse_state(res.final)
    ops = tuple(decide(r.x)[0] for r in records)
    remaining = tuple(sorted((e.u, e.v) for e in st.edges if not e.marked))
    return FlowRun(instance=inst, records=records, final=res.final, halt_reason=res.halt_reason,
                   counters=res.counters, ops=ops, remaining=remaining)


def verify_run(run: FlowRun) -> list[str]:
    """Every problem with a run (empty = valid): g on every step (:func:`machines.transition.apply_g`),
    continuity, start and end, the EOS halt, and the min-cut certificate of
    :func:`~reductions.tasks.maxflow_graph.certificate_problems`, plus #augmentations == #deleted edges.
    """
    problems = []
    prev = encode_instance(run.instance)
    for rec in run.records:
        p = rec.prediction
        if not np.array_equal(rec.x, prev):
            problems.append(f"step {rec.t}: x is not the previous x_next")
        nxt = apply_g(rec.x, p.y, p.remask, p.insert, p.delete, mask_id=M)
        if not np.array_equal(nxt, rec.x_next):
            problems.append(f"step {rec.t}: g(x, y, ctrl) != x_next")
        prev = rec.x_next
    if not np.array_equal(prev, run.final):
        problems.append("the last x_next is not the final sequence")
    if run.halt_reason != "eos" or run.final[-2:].tolist() != [EOA, EOS]:
        problems.append(f"the run did not end with [EOA] [EOS] (halt {run.halt_reason!r})")
    problems += certificate_problems(run.instance, list(run.remaining))
    if run.augmentations != len(run.deleted):
        problems.append(f"{run.augmentations} augmentations but {len(run.deleted)} deleted edges")
    return problems


def transitions(instance: FlowInstance | FlowRun) -> list[Transition]:
    """Training tuples ``(x_k, y*, remask*, insert*, delete*, x_{k+1})`` of the process (int64 arrays)."""
    run = instance if isinstance(instance, FlowRun) else run_maxflow(instance)
    out = []
    for rec in run.records:
        p = rec.prediction
        n = rec.x.shape[0]
        z = np.zeros(n, dtype=np.int64)
        out.append(Transition(x=np.asarray(rec.x, np.int64), y=np.asarray(p.y, np.int64),
                              remask=z if p.remask is None else np.asarray(p.remask, np.int64),
                              insert=z if p.insert is None else np.asarray(p.insert, np.int64),
                              delete=z if p.delete is None else np.asarray(p.delete, np.int64),
                              x_next=np.asarray(rec.x_next, np.int64)))
    return out
