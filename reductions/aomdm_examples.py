"""AO-MDM and parallel-MDM examples for Theorem 3: Boolean circuits decoded on a canvas, and random predictors.

A :class:`Circuit` lays a Boolean circuit out on an MDM canvas: positions ``0..n-1`` hold the input bits, position
``n + j`` holds gate ``j``, whose arguments are earlier positions.  The canvas starts with the inputs decoded and
every gate masked.  A gate is *ready* when all its arguments are decoded.  :class:`CircuitPredictor` is the oracle
predictor: a pure function of the canvas that computes every ready gate and unmasks at most ``k`` of them, chosen
by an ``order`` rule -- with ``k = 1`` it is an **AO-MDM** predictor (one token per step, anywhere), with ``k > 1`` a
parallel **MDM** predictor.  Both decode the same circuit, so their final canvases agree, and the number of steps
drops by about ``k`` (at least the circuit's depth): the companion table of Theorem 3, which shows that MDM's real
advantage over a left-to-right machine is parallelism (tokens per step), not order.

:func:`random_aomdm_predictor` gives arbitrary AO-MDM behaviour (any position, any token) as a pure function of the
canvas, deterministic or drawing from the run's ``rng``.  :class:`KPerStep` turns any MDM predictor into one that
unmasks at most ``k`` of the positions it proposes (lowest index first); ``k = 1`` gives an AO-MDM predictor.

These examples are the project's own (PAPER.md §2, Theorem 3, gives no example of an AO-MDM computation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from machines.paradigms import AOMDM, MDM
from machines.predictor import Prediction, Predictor
from machines.vocab import BaseVocabulary, Vocabulary, simple_vocabulary
from pram.rng import as_generator
from reductions.errors import InvalidInstance

__all__ = ["BIT_VOCAB", "Circuit", "CircuitPredictor", "CompanionRow", "KPerStep", "ORDERS", "k_per_step_table",
           "parity_tree", "prefix_xor", "random_aomdm_predictor", "random_circuit", "reverse_copy"]

#: ``[MASK]`` = 0, ``"0"`` = 1, ``"1"`` = 2.
BIT_VOCAB: Vocabulary = simple_vocabulary(["0", "1"])
_ZERO, _ONE = BIT_VOCAB.id_of("0"), BIT_VOCAB.id_of("1")
_OPS: dict[str, Callable[[int, int], int]] = {
    "xor": lambda a, b: a ^ b, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
    "copy": lambda a, b: a, "not": lambda a, b: 1 - a,
}
_UNARY = ("copy", "not")  # ops that ignore their second argument
#: How an AO-MDM picks among the ready gates: lowest / highest position, or a pseudo-random pick that is a pure
#: function of the canvas ("scrambled"), or a draw from the run's rng ("random").
ORDERS = ("lowest", "highest", "scrambled", "random")


@dataclass(frozen=True, slots=True)
class Circuit:
    """A Boolean circuit on a canvas: ``num_inputs`` input positions, then one position per gate.

    ``gates[j] = (op, a, b)`` computes ``op(canvas[a], canvas[b])`` at position ``num_inputs + j``; ``op`` is one of
    ``xor, and, or, copy, not`` (``copy``/``not`` ignore ``b``); ``a, b`` must be earlier positions.

    Examples
    --------
    >>> c = parity_tree(4)
    >>> c.evaluate([1, 0, 1, 1])
    [1, 0, 1, 1, 1, 0, 1]
    >>> c.depth, c.size
    (2, 7)
    """

    name: str
    num_inputs: int
    gates: tuple[tuple[str, int, int], ...]

    def __post_init__(self) -> None:
        problems = []
        if self.num_inputs < 1:
            problems.append(f"num_inputs must be >= 1, got {self.num_inputs}")
        for j, (op, a, b) in enumerate(self.gates):
            pos = self.num_inputs + j
            if op not in _OPS:
                problems.append(f"gate {j}: unknown op {op!r} (known: {', '.join(_OPS)})")
            if not (0 <= a < pos and 0 <= b < pos):
                problems.append(f"gate {j} at position {pos}: arguments ({a}, {b}) must be earlier positions")
        if problems:
            raise InvalidInstance(f"invalid circuit {self.name!r}: " + "; ".join(problems))

    @property
    def size(self) -> int:
        """Canvas length S = inputs + gates."""
        return self.num_inputs + len(self.gates)

    @property
    def depth(self) -> int:
        """Longest input-to-gate path (the fewest parallel steps any MDM needs)."""
        level = [0] * self.num_inputs
        for op, a, b in self.gates:
            level.append(1 + max(level[a], level[a if op in _UNARY else b]))
        return max(level[self.num_inputs:], default=0)

    def evaluate(self, bits: list[int]) -> list[int]:
        """Plain sequential evaluation (the independent oracle): the full canvas as bits."""
        if len(bits) != self.num_inputs or any(b not in (0, 1) for b in bits):
            raise InvalidInstance(f"circuit {self.name!r} needs {self.num_inputs} bits, got {bits!r}")
        vals = list(bits)
        for op, a, b in self.gates:
            vals.append(_OPS[op](vals[a], vals[b]))
        return vals

    def start(self, bits: list[int]) -> np.ndarray:
        """The MDM start canvas: input tokens, then one MASK per gate."""
        if len(bits) != self.num_inputs or any(b not in (0, 1) for b in bits):
            raise InvalidInstance(f"circuit {self.name!r} needs {self.num_inputs} bits, got {bits!r}")
        x = np.full(self.size, BIT_VOCAB.mask_id, dtype=np.int64)
        x[: self.num_inputs] = np.where(np.asarray(bits) == 1, _ONE, _ZERO)
        return x


def parity_tree(n: int) -> Circuit:
    """XOR of ``n`` bits as a balanced binary tree (depth ceil(log2 n)); the last position is the parity."""
    gates: list[tuple[str, int, int]] = []
    layer = list(range(n))
    while len(layer) > 1:
        nxt = []
        for i in range(0, len(layer) - 1, 2):
            gates.append(("xor", layer[i], layer[i + 1]))
            nxt.append(n + len(gates) - 1)
        if len(layer) % 2:
            nxt.append(layer[-1])
        layer = nxt
    if not gates:
        gates.append(("copy", 0, 0))
    return Circuit(name=f"parity-tree-{n}", num_inputs=n, gates=tuple(gates))


def prefix_xor(n: int) -> Circuit:
    """All prefix parities by the Hillis-Steele scan: ceil(log2 n) levels of n gates each."""
    gates: list[tuple[str, int, int]] = []
    cur = list(range(n))
    shift = 1
    while shift < n:
        nxt = []
        for i in range(n):
            gates.append(("xor", cur[i], cur[i - shift]) if i >= shift else ("copy", cur[i], cur[i]))
            nxt.append(n + len(gates) - 1)
        cur, shift = nxt, 2 * shift
    if not gates:
        gates.append(("copy", 0, 0))
    return Circuit(name=f"prefix-xor-{n}", num_inputs=n, gates=tuple(gates))


def reverse_copy(n: int) -> Circuit:
    """Output slot ``i`` copies input ``n-1-i`` (depth 1: every gate ready at once)."""
    return Circuit(name=f"reverse-{n}", num_inputs=n, gates=tuple(("copy", n - 1 - i, n - 1 - i) for i in range(n)))


def random_circuit(num_inputs: int, num_gates: int, seed: int) -> Circuit:
    """A random circuit: each gate draws an op and two earlier positions (seeded, deterministic)."""
    rng = as_generator(seed)
    ops = tuple(_OPS)
    gates = []
    for j in range(num_gates):
        pos = num_inputs + j
        gates.append((ops[int(rng.integers(len(ops)))], int(rng.integers(pos)), int(rng.integers(pos))))
    return Circuit(name=f"random-{num_inputs}-{num_gates}-s{seed}", num_inputs=num_inputs, gates=tuple(gates))


def _canvas_key(x: np.ndarray, salt: int) -> int:
    """A deterministic 64-bit digest of the canvas (a pure function of ``x``; never Python's salted ``hash``)."""
    data = np.ascontiguousarray(x, dtype=np.int64).tobytes()
    h = hashlib.blake2b(data, digest_size=8, key=salt.to_bytes(8, "little"))
    return int.from_bytes(h.digest(), "little")


@dataclass(frozen=True, slots=True)
class CircuitPredictor:
    """Oracle MDM predictor of a circuit: compute every ready gate, unmask at most ``k`` of them.

    Examples
    --------
    >>> from machines.paradigms import AOMDM, MDM
    >>> c = prefix_xor(4)
    >>> f_ao = CircuitPredictor(circuit=c, k=1, order="highest")
    >>> ao = AOMDM(vocab=BIT_VOCAB, predictor=f_ao).run(c.start([1, 1, 0, 1]))
    >>> md = MDM(vocab=BIT_VOCAB, predictor=CircuitPredictor(circuit=c, k=4)).run(c.start([1, 1, 0, 1]))
    >>> ao.counters.steps, md.counters.steps, bool((ao.final == md.final).all())
    (8, 2, True)

    Notes
    -----
    O(S) vectorised numpy per call (the gate table is built once).  ``copy``/``not`` gates wait only for their
    first argument, as in :meth:`Circuit.evaluate` and :attr:`Circuit.depth`.  Serves Theorem 3 (AO-MDM and
    parallel-MDM examples).
    """

    circuit: Circuit
    k: int = 1
    order: str = "lowest"
    salt: int = 0
    _gates: np.ndarray = field(init=False, repr=False, compare=False)  # (G, 3): op code, a, b (b = a if unary)

    def __post_init__(self) -> None:
        problems = []
        if self.k < 1:
            problems.append(f"k must be >= 1, got {self.k}")
        if self.order not in ORDERS:
            problems.append(f"order must be one of {ORDERS}, got {self.order!r}")
        if problems:
            raise InvalidInstance("invalid circuit predictor: " + "; ".join(problems))
        codes = {op: i for i, op in enumerate(_OPS)}
        table = np.array([(codes[op], a, a if op in _UNARY else b) for op, a, b in self.circuit.gates],
                         dtype=np.int64).reshape(-1, 3)
        object.__setattr__(self, "_gates", table)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        c, mask = self.circuit, BIT_VOCAB.mask_id
        xa = np.asarray(x, dtype=np.int64)
        if xa.shape != (c.size,):
            raise InvalidInstance(f"circuit {c.name!r} runs on a canvas of length {c.size}, got shape {xa.shape}")
        op, a, b = self._gates[:, 0], self._gates[:, 1], self._gates[:, 2]
        pos = c.num_inputs + np.arange(op.shape[0], dtype=np.int64)
        ready_gate = (xa[pos] == mask) & (xa[a] != mask) & (xa[b] != mask)
        va, vb = (xa[a] == _ONE).astype(np.int64), (xa[b] == _ONE).astype(np.int64)
        bits = np.choose(op, [va ^ vb, va & vb, va | vb, va, 1 - va]) if op.size else va
        y = np.full(c.size, _ZERO, dtype=np.int64)
        y[pos[ready_gate]] = np.where(bits[ready_gate] == 1, _ONE, _ZERO)
        chosen = self._choose(pos[ready_gate], xa, rng)
        unmask = np.zeros(c.size, dtype=np.bool_)
        unmask[chosen] = True
        return Prediction(y=y, unmask=unmask)

    def _choose(self, ready: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if ready.size <= self.k:
            return ready
        if self.order == "lowest":
            return ready[: self.k]
        if self.order == "highest":
            return ready[-self.k:]
        if self.order == "scrambled":
            start = _canvas_key(x, self.salt) % ready.size
        else:
            start = int(rng.integers(ready.size))
        return ready[(start + np.arange(self.k)) % ready.size]


def random_aomdm_predictor(vocab_size: int, mask_id: int, *, seed: int = 0, use_rng: bool = False) -> Predictor:
    """An arbitrary AO-MDM predictor: one pseudo-random masked position and token per step.

    With ``use_rng=False`` the choice is a pure function of the canvas and ``seed`` (a digest of the canvas); with
    ``use_rng=True`` it is drawn from the run's ``rng`` (a stochastic AO-MDM).  ``y`` is random at every position.

    Examples
    --------
    >>> from machines.paradigms import AOMDM
    >>> f = random_aomdm_predictor(BIT_VOCAB.size, BIT_VOCAB.mask_id, seed=3)
    >>> AOMDM(vocab=BIT_VOCAB, predictor=f).run(np.zeros(5, dtype=np.int64)).counters.steps
    5
    """
    tokens = np.array([t for t in range(vocab_size) if t != mask_id], dtype=np.int64)
    if tokens.size == 0:
        raise InvalidInstance("the vocabulary needs at least one token besides MASK")

    def predictor(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        xa = np.asarray(x, dtype=np.int64)
        draw = rng if use_rng else as_generator(_canvas_key(xa, seed))
        masks = np.flatnonzero(xa == mask_id)
        y = tokens[draw.integers(tokens.size, size=xa.shape[0])]
        unmask = np.zeros(xa.shape[0], dtype=np.bool_)
        if masks.size:
            unmask[masks[int(draw.integers(masks.size))]] = True
        return Prediction(y=y, unmask=unmask)

    return predictor


@dataclass(frozen=True, slots=True)
class KPerStep:
    """Wrap an MDM predictor so that it unmasks at most ``k`` of the masked positions it proposes (lowest first).

    With ``k = 1`` the result is an AO-MDM predictor.  The wrapped predictor must stay correct when only part of its
    proposal is applied -- true of "ready-set" predictors such as :class:`CircuitPredictor` and write-once PRAM
    simulations, whose values depend only on earlier, already decoded positions.

    Examples
    --------
    >>> from machines.paradigms import AOMDM
    >>> c = reverse_copy(3)
    >>> one = KPerStep(inner=CircuitPredictor(circuit=c, k=3), k=1)
    >>> r = AOMDM(vocab=BIT_VOCAB, predictor=one).run(c.start([1, 0, 0]))
    >>> BIT_VOCAB.decode(r.final), r.counters.steps
    (['1', '0', '0', '0', '0', '1'], 3)
    """

    inner: Predictor
    k: int = 1
    mask_id: int = 0

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        pred = self.inner(x, rng)
        if pred.halt or pred.unmask is None:
            return pred
        proposed = np.asarray(pred.unmask, dtype=np.bool_) & (np.asarray(x) == self.mask_id)
        chosen = np.flatnonzero(proposed)[: self.k]
        unmask = np.zeros(np.asarray(x).shape[0], dtype=np.bool_)
        unmask[chosen] = True
        return Prediction(y=pred.y, unmask=unmask)


@dataclass(frozen=True, slots=True)
class CompanionRow:
    """One row of the "k tokens per step vs one" table: ``steps`` with at most ``k`` per step, ``steps_one`` with
    one per step (the AO-MDM), and whether both runs reach the same final canvas."""

    k: int
    masks: int
    steps: int
    steps_one: int
    same_output: bool

    @property
    def speedup(self) -> float:
        return self.steps_one / self.steps if self.steps else 1.0


def k_per_step_table(*, proposer: Predictor, vocab: BaseVocabulary, x0: np.ndarray, ks: tuple[int, ...],
                     seed: int = 0) -> list[CompanionRow]:
    """Run ``KPerStep(proposer, k)`` as an MDM for every ``k`` in ``ks`` beside the AO-MDM (``k = 1``).

    ``proposer`` proposes every position it could decode now (e.g. ``CircuitPredictor(k=S)`` or a write-once PRAM
    simulation); the AO-MDM keeps the lowest-index one, the parallel MDM the ``k`` lowest.

    Examples
    --------
    >>> c = reverse_copy(8)
    >>> rows = k_per_step_table(proposer=CircuitPredictor(circuit=c, k=c.size), vocab=BIT_VOCAB,
    ...                         x0=c.start([1, 0] * 4), ks=(2, 8))
    >>> [(r.k, r.steps, r.steps_one, r.same_output) for r in rows]
    [(2, 4, 8, True), (8, 1, 8, True)]

    Notes
    -----
    Steps drop to about ``steps_one / k`` (never below the dependency depth).  Serves Theorem 3's companion table.
    """
    x = np.asarray(x0, dtype=np.int64)
    cap = max(1, int(x.shape[0]))
    one = AOMDM(vocab=vocab, predictor=KPerStep(inner=proposer, k=1, mask_id=vocab.mask_id), max_length=cap).run(
        x, seed=seed)
    rows = []
    for k in ks:
        par = MDM(vocab=vocab, predictor=KPerStep(inner=proposer, k=k, mask_id=vocab.mask_id), max_length=cap).run(
            x, seed=seed)
        rows.append(CompanionRow(k=k, masks=int(np.count_nonzero(x == vocab.mask_id)), steps=par.counters.steps,
                                 steps_one=one.counters.steps, same_output=bool(np.array_equal(par.final, one.final))))
    return rows
