"""Theorem 3: any AO-MDM is simulated by a left-to-right Masked-ARM of length O(S) with O(1) extra lookup passes.

The construction is the project's reconstruction of the sketch in PAPER.md §2 (Theorem 3, marked [I] there).

**Layout.**  Let the AO-MDM run on a canvas of length ``S`` over a base vocabulary of ``B`` ids, starting from
``x_0`` with ``m`` masks.  The Masked-ARM runs on ``z = [c_0 .. c_{S-1} | slot_1 .. slot_m]`` (length
``S + m <= 2S``) over a word vocabulary (:func:`masked_arm_vocabulary`) whose word ``w = p*B + v`` encodes a pair

* ``p = 0``: a *prompt cell* holding base token ``v`` (``v`` = the base MASK marks a hole: a canvas position the
  AO-MDM has still to decode).  Cell ``q`` of the prompt is canvas position ``q``.
* ``p >= 1``: a *record* "the AO-MDM wrote token ``v`` at canvas position ``p - 1``".

Every slot starts as the Masked-ARM's MASK.  One token holds ``O(log S + log B)`` bits: log precision.

**The predictor f'.**  At its ``t``-th step the Masked-ARM unmasks the leftmost slot, ``slot_t``, and writes there
the record of the AO-MDM's ``t``-th decision.  ``f'(z)`` is a pure function of ``z`` made of passes over ``z``:

1. *local*: every position decodes its ``(p, v)`` pair (a position-wise map, no lookup);
2. *lookup 1, canvas*: every hole ``q`` attends to the record whose key ``p - 1`` equals ``q`` (at most one exists)
   and takes its token; a hole with no record stays MASK.  This rebuilds the AO-MDM canvas ``x_t``;
3. the AO-MDM predictor ``f`` runs on ``x_t`` (the original network, unchanged);
4. *lookup 2, choice*: the emission attends to the canvas position that ``f`` unmasks and reads ``(q*, y[q*])``;
5. *lookup 3, next slot*: every position reads the token of its left neighbour, so the leftmost slot knows it is
   the one to fill; it receives the record word ``(q* + 1)*B + y[q*]``.

So f' adds **3 lookup passes** (:data:`LOOKUP_PASSES`, independent of ``S``) and one local pass to ``f``.
:meth:`MaskedARMPredictor.explain` returns the passes it actually ran, so the count is measured, not asserted.
Each lookup is hard attention (:func:`hard_lookup`: a query takes the value of the key equal to it), implemented
by sorting and tested against the brute-force score matrix of :func:`hard_lookup_reference`.

The Masked-ARM takes exactly as many steps as the AO-MDM (one record per AO-MDM step), reaches the same canvas, and
has length ``S + m <= 2S``.  A stochastic ``f`` receives the same random stream in both runs (one call per step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.paradigms import AOMDM, MaskedARM
from machines.predictor import Prediction, Predictor
from machines.vocab import AnyVocabulary, WordVocabulary
from reductions.errors import InstanceTooLarge, InvalidInstance, LockstepMismatch, UnsupportedProgram

__all__ = ["LOOKUP_PASSES", "MaskedARMPredictor", "PassLog", "Theorem3Run", "decode_canvas", "decode_canvas_reference",
           "encode_start", "hard_lookup", "hard_lookup_reference", "masked_arm_vocabulary", "simulate"]

#: Lookup (attention) passes f' adds in front of and behind the AO-MDM network, for every S.
LOOKUP_PASSES = 3
_MASK = 0  # the Masked-ARM's MASK id (its only special); word w has id w + 1
_MAX_WORDS = 2**62  # record words must fit int64 ids


def masked_arm_vocabulary(base: AnyVocabulary, canvas_length: int) -> WordVocabulary:
    """The Masked-ARM vocabulary for canvas length ``S``: ``[MASK]`` then the words ``0 .. (S+1)*B - 1``.

    Examples
    --------
    >>> from reductions.aomdm_examples import BIT_VOCAB
    >>> masked_arm_vocabulary(BIT_VOCAB, 4).size
    16
    """
    if canvas_length < 1:
        raise InvalidInstance(f"canvas length must be >= 1, got {canvas_length}")
    words = (canvas_length + 1) * base.size
    if words > _MAX_WORDS:
        raise InstanceTooLarge(quantity="the Masked-ARM vocabulary ((S+1) * base vocabulary size)", needed=words,
                               limit=_MAX_WORDS, hint="a smaller canvas or a smaller base vocabulary (word_bits)")
    return WordVocabulary(specials=("[MASK]",), lo=0, hi=(canvas_length + 1) * base.size - 1)


def encode_start(x0: np.ndarray, base: AnyVocabulary) -> np.ndarray:
    """The Masked-ARM start sequence ``[prompt cells of x0 | one MASK slot per mask of x0]``.

    Examples
    --------
    >>> from reductions.aomdm_examples import BIT_VOCAB
    >>> encode_start(np.array([2, 0, 1, 0]), BIT_VOCAB).tolist()
    [3, 1, 2, 1, 0, 0]
    """
    x = np.asarray(x0, dtype=np.int64)
    if x.ndim != 1 or x.size == 0:
        raise InvalidInstance(f"the AO-MDM start canvas must be a non-empty 1-D sequence, got shape {x.shape}")
    if bool(((x < 0) | (x >= base.size)).any()):
        raise InvalidInstance(f"the AO-MDM start canvas holds ids outside 0..{base.size - 1}")
    m = int(np.count_nonzero(x == base.mask_id))
    return np.concatenate([x + 1, np.full(m, _MASK, dtype=np.int64)])


def hard_lookup(queries: np.ndarray, keys: np.ndarray, values: np.ndarray, default: int) -> np.ndarray:
    """Hard attention: each query takes the value of the (unique) key equal to it, else ``default``.

    Vectorised with a sort and a binary search; duplicate keys are refused (an AO-MDM writes a position once).

    Examples
    --------
    >>> hard_lookup(np.array([3, 1, 7]), np.array([1, 3]), np.array([10, 30]), -1).tolist()
    [30, 10, -1]

    Notes
    -----
    O((Q + K) log K); the reference is the O(Q*K) score matrix of :func:`hard_lookup_reference`.
    """
    q, k, v = (np.asarray(a, dtype=np.int64) for a in (queries, keys, values))
    out = np.full(q.shape[0], default, dtype=np.int64)
    if k.size == 0:
        return out
    order = np.argsort(k, kind="stable")
    ks = k[order]
    if bool((ks[1:] == ks[:-1]).any()):
        dup = int(ks[1:][ks[1:] == ks[:-1]][0])
        raise LockstepMismatch(f"two records name canvas position {dup}: an AO-MDM decodes a position only once")
    idx = np.searchsorted(ks, q)
    idx_c = np.minimum(idx, ks.size - 1)
    hit = (idx < ks.size) & (ks[idx_c] == q)
    out[hit] = v[order[idx_c[hit]]]
    return out


def hard_lookup_reference(queries: np.ndarray, keys: np.ndarray, values: np.ndarray, default: int) -> np.ndarray:
    """Plain reference of :func:`hard_lookup`: the ``Q x K`` 0/1 score matrix, then one argmax per row."""
    q, k, v = (np.asarray(a, dtype=np.int64) for a in (queries, keys, values))
    scores = (q[:, None] == k[None, :]).astype(np.int64)
    if bool((scores.sum(axis=1) > 1).any()):
        raise LockstepMismatch("two records name the same canvas position")
    out = np.full(q.shape[0], default, dtype=np.int64)
    for i in range(q.shape[0]):
        if k.size and scores[i].max() == 1:
            out[i] = v[int(scores[i].argmax())]
    return out


def _attend_max(scores: np.ndarray, values: np.ndarray) -> int:
    """Hard attention with one query: the value at the (first) maximal score."""
    return int(values[int(np.argmax(scores))])


def _layout(z: np.ndarray, base_size: int, base_mask: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Local pass: (S, p, v) per position; validates that z is [prompt cells | records | MASK slots]."""
    za = np.asarray(z, dtype=np.int64)
    is_slot = za == _MASK
    w = np.where(is_slot, 0, za - 1)
    p, v = w // base_size, w % base_size
    is_prompt = ~is_slot & (p == 0)
    s = int(np.argmin(is_prompt)) if not bool(is_prompt.all()) else int(za.shape[0])
    kinds = np.where(is_prompt, 0, np.where(is_slot, 2, 1))
    problems = []
    if s == 0:
        problems.append("it has no prompt cell")
    if bool((np.diff(kinds) < 0).any()):
        problems.append("it is not [prompt cells | records | MASK slots]")
    if bool(((za < 0) | (p > s)).any()):
        problems.append(f"it holds ids outside the vocabulary of canvas length {s}")
    if bool(((kinds == 1) & (v == base_mask)).any()):
        problems.append("a record writes MASK")
    if problems:
        raise InvalidInstance("not a Masked-ARM sequence of this construction: " + "; ".join(problems))
    return s, p, v


def decode_canvas(z: np.ndarray, base_size: int, base_mask: int) -> np.ndarray:
    """The AO-MDM canvas represented by ``z`` (the local pass and lookup 1 of f').

    Examples
    --------
    >>> decode_canvas(np.array([3, 1, 2, 1, 15, 0]), 3, 0).tolist()
    [2, 0, 1, 2]
    """
    s, p, v = _layout(z, base_size, base_mask)
    holes = np.flatnonzero(v[:s] == base_mask)
    rec = np.flatnonzero(p >= 1)
    canvas = v[:s].copy()
    canvas[holes] = hard_lookup(holes, p[rec] - 1, v[rec], base_mask)
    _check_records_hit(canvas[holes], rec.size, base_mask)
    return canvas


def _check_records_hit(filled: np.ndarray, records: int, base_mask: int) -> None:
    if int(np.count_nonzero(filled != base_mask)) != records:
        raise InvalidInstance("not a Masked-ARM sequence of this construction: a record names a canvas position "
                              "that was decoded in the prompt")


def decode_canvas_reference(z: list[int] | np.ndarray, base_size: int, base_mask: int) -> list[int]:
    """Plain-Python decoding of ``z`` (used for the lock-step check, independent of :func:`decode_canvas`)."""
    cells = [int(t) for t in z]
    canvas: list[int] = []
    for t in cells:
        if t == _MASK or (t - 1) // base_size != 0:
            break
        canvas.append((t - 1) % base_size)
    for t in cells[len(canvas):]:
        if t != _MASK:
            q, tok = divmod(t - 1, base_size)
            if canvas[q - 1] != base_mask:
                raise LockstepMismatch(f"canvas position {q - 1} is written twice")
            canvas[q - 1] = tok
    return canvas


@dataclass(frozen=True, slots=True)
class PassLog:
    """The passes one call of f' ran: ``lookups`` (attention passes), ``local`` (position-wise), ``inner_calls``."""

    lookups: int
    local: int
    inner_calls: int


@dataclass(frozen=True, slots=True)
class MaskedARMPredictor:
    """f': the Masked-ARM predictor built from an AO-MDM predictor ``inner`` over a base vocabulary of ``base_size``.

    Examples
    --------
    >>> from reductions.aomdm_examples import BIT_VOCAB, CircuitPredictor, parity_tree
    >>> c = parity_tree(4)
    >>> f1 = MaskedARMPredictor(inner=CircuitPredictor(circuit=c, order="highest"), base_size=3, base_mask=0)
    >>> z0 = encode_start(c.start([1, 1, 0, 1]), BIT_VOCAB)
    >>> pred, log = f1.explain(z0, np.random.default_rng(0))
    >>> int(np.flatnonzero(pred.unmask)[0]), divmod(int(pred.y[7]) - 1, 3), log.lookups
    (7, (6, 2), 3)

    Notes
    -----
    O((S + m) log S) per call plus the cost of ``inner``.  Serves Theorem 3.
    """

    inner: Predictor
    base_size: int
    base_mask: int

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        return self.explain(x, rng)[0]

    def explain(self, z: np.ndarray, rng: np.random.Generator) -> tuple[Prediction, PassLog]:
        """The prediction and the :class:`PassLog` of the passes that produced it."""
        B, M = self.base_size, self.base_mask
        za = np.asarray(z, dtype=np.int64)
        lookups = 0
        s, p, v = _layout(za, B, M)  # local pass
        holes = np.flatnonzero(v[:s] == M)
        rec = np.flatnonzero(p >= 1)
        canvas = v[:s].copy()
        canvas[holes] = hard_lookup(holes, p[rec] - 1, v[rec], M)  # lookup 1: canvas
        _check_records_hit(canvas[holes], rec.size, M)
        lookups += 1
        pred = self.inner(canvas, rng)
        if pred.halt:
            return Prediction(y=za.copy(), halt=True), PassLog(lookups=lookups, local=1, inner_calls=1)
        unmask = np.zeros(s, dtype=np.bool_) if pred.unmask is None else np.asarray(pred.unmask, dtype=np.bool_)
        chosen = np.flatnonzero(unmask)
        if unmask.shape != (s,) or chosen.size != 1 or canvas[chosen[0]] != M:
            raise UnsupportedProgram("the inner predictor is not an AO-MDM predictor: it must unmask exactly one "
                                     f"masked canvas position per step (unmask = {np.flatnonzero(unmask).tolist()})")
        y = np.asarray(pred.y, dtype=np.int64)
        # lookup 2: the emission attends to the canvas position whose unmask bit is 1 and reads (q*, y[q*])
        q_star = _attend_max(unmask.astype(np.int64), np.arange(s, dtype=np.int64))
        lookups += 1
        record = (q_star + 1) * B + int(y[q_star]) + 1
        # lookup 3: every position reads its left neighbour; the leftmost slot is a MASK whose neighbour is not
        left = np.concatenate([[1], za[:-1]])
        lookups += 1
        nxt = (za == _MASK) & (left != _MASK)
        out = za.copy()
        out[nxt] = record
        return Prediction(y=out, unmask=nxt), PassLog(lookups=lookups, local=1, inner_calls=1)


@dataclass(frozen=True, slots=True)
class Theorem3Run:
    """Side-by-side result of one AO-MDM run and its Masked-ARM simulation.

    ``lookup_passes`` is the set of pass counts f' used (a one-element tuple when constant), ``lockstep`` is True
    when the canvas decoded from the Masked-ARM after every step equalled the AO-MDM's canvas after that step.
    ``final`` is the AO-MDM's final canvas.
    """

    canvas_length: int
    masks: int
    ao_steps: int
    marm_steps: int
    marm_length: int
    same_final: bool
    lockstep: bool
    lookup_passes: tuple[int, ...]
    ao_halt: str
    marm_halt: str
    final: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return (self.same_final and self.lockstep and self.ao_steps == self.marm_steps
                and self.marm_length <= 2 * self.canvas_length and self.lookup_passes in ((), (LOOKUP_PASSES,)))


def simulate(*, predictor: Predictor, vocab: AnyVocabulary, x0: np.ndarray, seed: int = 0,
             max_steps: int = 100_000) -> Theorem3Run:
    """Run the AO-MDM and its Masked-ARM simulation side by side, checking the canvas in lock step.

    After every step the canvas is decoded from the Masked-ARM's sequence (:func:`decode_canvas`, O(S log S)) and
    compared with the AO-MDM's; the final one is decoded again by the plain :func:`decode_canvas_reference`.

    Examples
    --------
    >>> from reductions.aomdm_examples import BIT_VOCAB, CircuitPredictor, prefix_xor
    >>> c = prefix_xor(8)
    >>> r = simulate(predictor=CircuitPredictor(circuit=c, order="scrambled"), vocab=BIT_VOCAB, x0=c.start([1] * 8))
    >>> (r.ao_steps, r.marm_steps, r.canvas_length, r.marm_length, r.lookup_passes, r.ok)
    (24, 24, 32, 56, (3,), True)

    Notes
    -----
    O(steps * (S log S + cost of the predictor)).  Serves Theorem 3.
    """
    x = np.asarray(x0, dtype=np.int64)
    s = int(x.shape[0])
    z0 = encode_start(x, vocab)
    f1 = MaskedARMPredictor(inner=predictor, base_size=vocab.size, base_mask=vocab.mask_id)
    passes: set[int] = set()

    def observed(z: np.ndarray, rng: np.random.Generator) -> Prediction:
        """f' itself; only its pass log is noted on the side (f' never reads it)."""
        pred, log = f1.explain(z, rng)
        if not pred.halt:
            passes.add(log.lookups)
        return pred

    ao_it = AOMDM(vocab=vocab, predictor=predictor, max_steps=max_steps).trace(x, seed=seed)
    marm = MaskedARM(vocab=masked_arm_vocabulary(vocab, s), predictor=observed, max_steps=max_steps,
                     max_length=2 * s)
    marm_it = marm.trace(z0, seed=seed)
    lockstep = True
    for ao_rec, m_rec in zip(ao_it, marm_it, strict=False):
        if not np.array_equal(decode_canvas(m_rec.x_next, vocab.size, vocab.mask_id), ao_rec.x_next):
            lockstep = False
    for _ in ao_it:
        lockstep = False
    for _ in marm_it:
        lockstep = False
    ao_res, m_res = ao_it.result, marm_it.result
    if ao_res is None or m_res is None:  # pragma: no cover - both iterators are drained above
        raise LockstepMismatch("a run did not finish")
    final_canvas = decode_canvas_reference(m_res.final, vocab.size, vocab.mask_id)
    return Theorem3Run(canvas_length=s, masks=int(np.count_nonzero(x == vocab.mask_id)),
                       ao_steps=ao_res.counters.steps, marm_steps=m_res.counters.steps,
                       marm_length=int(m_res.counters.peak_length), same_final=final_canvas == ao_res.final.tolist(),
                       lockstep=lockstep, lookup_passes=tuple(sorted(passes)), ao_halt=ao_res.halt_reason,
                       marm_halt=m_res.halt_reason, final=tuple(int(t) for t in ao_res.final))

