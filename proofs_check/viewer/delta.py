"""A trace as a start state and per-step deltas: the compact form a viewer page carries.

A JSONL trace repeats the whole sequence twice per step (``x`` and ``x_next``, about 10 kB per Sudoku step); a
step of the Sudoku search changes three to a few dozen tokens.  :func:`encode_records` turns a stream of step
records into

* a **token table** ``names`` (each distinct token name once, in order of first use; the first entry is MASK),
* the **start** sequence as indices into ``names``,
* one **delta** per step: a flat list of integers ``code [token]`` where ``code = 8 * position + op`` and the
  position is one of the step's *input* ``x_t``; ``op`` is :data:`OPS`'s index.  ``unmask`` and ``append`` are
  followed by the index of the token written; ``remask``, ``insert`` and ``delete`` are not.

A remask bit on a position that is already MASK ("keep it masked", max-flow's persistent masks) changes nothing and
is left out; so is everything a step keeps.  :func:`apply_delta` rebuilds ``x_{t+1}`` from ``x_t`` (one pass:
a deleted position is dropped, a remasked one becomes MASK, an unmasked one the token, an insert adds a MASK after
the position, an append adds the token at the end), and :func:`decode_states` replays a whole encoding; the tests
check that it gives back every ``x_next`` of the JSONL trace.  The page's JavaScript runs the same pass.

The encoding is the project's choice [I] (the paper fixes no file format); it is plain JSON, so no decoder beyond
``JSON.parse`` is needed in the browser.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from machines.discipline import MDM_FAMILY
from machines.records import StepRecord
from machines.trace import canonical_prediction
from machines.vocab import BaseVocabulary

__all__ = ["OPS", "DeltaTrace", "apply_delta", "decode_states", "encode_records", "step_delta"]

OPS = ("unmask", "remask", "insert", "delete", "append")
UNMASK, REMASK, INSERT, DELETE, APPEND = range(5)
_WITH_TOKEN = (UNMASK, APPEND)


@dataclass(slots=True)
class DeltaTrace:
    """Start state plus per-step deltas (see the module docstring); ``names[0]`` is the MASK token's name.

    ``lengths[t]`` is ``|x_t|`` (``lengths[0]`` the start's length) and ``counts[t-1]`` the number of unmask,
    remask, insert, delete and append operations of step ``t``; both are kept for the page's counters and chart.
    """

    paradigm: str
    names: list[str]
    start: list[int]
    steps: list[list[int]] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)

    @property
    def mask(self) -> int:
        return 0


class _Interner:
    """Token id -> index into the table of names, filled in order of first use."""

    __slots__ = ("vocab", "index", "names")

    def __init__(self, vocab: BaseVocabulary) -> None:
        self.vocab = vocab
        self.index: dict[int, int] = {}
        self.names: list[str] = []
        self.get(vocab.mask_id)

    def get(self, tok: int) -> int:
        k = self.index.get(tok)
        if k is None:
            k = self.index[tok] = len(self.names)
            self.names.append(self.vocab.name_of(tok))
        return k


def step_delta(paradigm: str, x: np.ndarray, rec: StepRecord, *, mask_id: int) -> list[tuple[int, int, int]]:
    """The operations of one step as ``(position, op, token id)`` triples in position order (token -1 if none).

    Examples
    --------
    >>> from machines.predictor import Prediction
    >>> rec = StepRecord(t=1, x=np.array([4, 0, 0]), prediction=Prediction(y=np.array([0, 5, 0]),
    ...                  remask=np.array([1, 0, 0]), insert=np.array([0, 1, 0]), delete=np.array([0, 0, 1])),
    ...                  x_next=np.array([0, 5, 0]))
    >>> [(p, OPS[o], t) for p, o, t in step_delta("ap-mdm", rec.x, rec, mask_id=0)]
    [(0, 'remask', -1), (1, 'unmask', 5), (1, 'insert', -1), (2, 'delete', -1)]

    Notes
    -----
    O(|x|) numpy work.
    """
    xa = np.asarray(x, dtype=np.int64)
    n = xa.shape[0]
    c = canonical_prediction(paradigm, xa, rec.prediction, mask_id=mask_id)
    y = c["y"]
    if paradigm == "arm":
        return [(n, APPEND, int(y[-1]))] if n else []
    is_mask = xa == mask_id
    zero = np.zeros(n, dtype=np.bool_)
    if paradigm in MDM_FAMILY:
        unmask, remask, insert, delete = is_mask & c["unmask"], zero, zero, zero
    else:
        delete = c["delete"]
        remask = c["remask"] & ~is_mask
        insert = c["insert"]
        unmask = is_mask & ~c["remask"] & ~delete
    ops: list[tuple[int, int, int]] = []
    for op, bits in ((REMASK, remask), (UNMASK, unmask), (INSERT, insert), (DELETE, delete)):
        for p in np.flatnonzero(bits).tolist():
            ops.append((p, op, int(y[p]) if op == UNMASK else -1))
    ops.sort(key=lambda o: (o[0], o[1] != REMASK and o[1] != UNMASK, o[1]))
    return ops


def encode_records(paradigm: str, vocab: BaseVocabulary, start: np.ndarray | None,
                   records: Iterable[StepRecord]) -> DeltaTrace:
    """Encode a run (its start and its step records, streamed) as a :class:`DeltaTrace`.

    ``start`` defaults to the first record's ``x``.  The records are not checked here (``powergen trace replay``
    does that); only their operations are read, and ``x_next`` is never used, so a round trip through
    :func:`decode_states` is a real test of the encoding.

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> from machines.predictor import Prediction
    >>> v = simple_vocabulary(["a", "b"])
    >>> rec = StepRecord(t=1, x=np.array([0, 0]), prediction=Prediction(y=np.array([1, 2]),
    ...                  unmask=np.array([0, 1])), x_next=np.array([0, 2]))
    >>> d = encode_records("mdm", v, None, [rec])
    >>> d.names, d.start, d.steps
    (['[MASK]', 'b'], [0, 0], [[8, 1]])

    Notes
    -----
    O(total length) time; O(size of the encoding) memory (one step record at a time).
    """
    table = _Interner(vocab)
    mask_id = vocab.mask_id
    it = iter(records)
    first = next(it, None)
    x0 = np.asarray(start if start is not None else (first.x if first is not None else []), dtype=np.int64)
    out = DeltaTrace(paradigm=paradigm, names=table.names, start=[table.get(int(v)) for v in x0.tolist()])
    out.lengths.append(len(out.start))
    records_all: Iterable[StepRecord] = it if first is None else _chain(first, it)
    for rec in records_all:
        x = np.asarray(rec.x, dtype=np.int64)
        ops = step_delta(paradigm, x, rec, mask_id=mask_id)
        flat: list[int] = []
        count = [0] * len(OPS)
        for pos, op, tok in ops:
            flat.append(8 * pos + op)
            if op in _WITH_TOKEN:
                flat.append(table.get(tok))
            count[op] += 1
        out.steps.append(flat)
        out.counts.append(count)
        out.lengths.append(x.shape[0] + count[INSERT] + count[APPEND] - count[DELETE])
    return out


def _chain(first: StepRecord, rest: Iterator[StepRecord]) -> Iterator[StepRecord]:
    yield first
    yield from rest


def apply_delta(x: list[int], delta: list[int], *, mask: int = 0) -> list[int]:
    """``x_{t+1}`` from ``x_t`` (token-table indices) and step ``t``'s delta (see the module docstring).

    Examples
    --------
    >>> apply_delta([3, 0, 0], [1, 8, 5, 10, 19])  # remask 0, unmask 1 -> 5, insert after 1, delete 2
    [0, 5, 0]
    """
    out: list[int] = []
    i, k, n = 0, 0, len(x)
    ops: dict[int, list[tuple[int, int]]] = {}
    while k < len(delta):
        code = delta[k]
        pos, op = divmod(code, 8)
        tok = -1
        if op in _WITH_TOKEN:
            tok = delta[k + 1]
            k += 1
        ops.setdefault(pos, []).append((op, tok))
        k += 1
    for i in range(n):
        here = ops.get(i, ())
        tok = x[i]
        dropped = False
        for op, v in here:
            if op == DELETE:
                dropped = True
            elif op == REMASK:
                tok = mask
            elif op == UNMASK:
                tok = v
        if not dropped:
            out.append(tok)
        out.extend(mask for op, _ in here if op == INSERT)
    out.extend(v for op, v in ops.get(n, ()) if op == APPEND)
    return out


def decode_states(d: DeltaTrace) -> Iterator[list[str]]:
    """The token names of ``x_0, x_1, ..., x_T`` rebuilt from the encoding (the round-trip decoder of the tests)."""
    x = list(d.start)
    yield [d.names[v] for v in x]
    for delta in d.steps:
        x = apply_delta(x, delta, mask=d.mask)
        yield [d.names[v] for v in x]
