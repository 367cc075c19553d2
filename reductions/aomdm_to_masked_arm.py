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

So f' adds 3 lookup passes (:data:`LOOKUP_PASSES` is that *claimed* value) and one local pass to ``f``.  Every
read f' makes of ``z`` goes through a :class:`SequenceReader`, which counts the cross-position passes (lookups)
and the position-wise ones (local) as they happen; :meth:`MaskedARMPredictor.explain` returns those counts in a
:class:`PassLog`.  The count reported is therefore derived from the accesses f' actually made, and the checks
compare it with :data:`LOOKUP_PASSES` (an f' with an extra pass, or one that scans, is reported with a larger
count and fails).  Each lookup is hard attention (:func:`hard_lookup`: a query takes the value of the key equal to
it), implemented by direct addressing (a scatter then a gather, O(Q + K)) when the keys are small non-negative
integers -- always so here, the keys are canvas positions -- and by a sort otherwise; both are tested against the
brute-force score matrix of :func:`hard_lookup_reference`.  One call of f' is O(S + m) vectorised numpy plus the
cost of ``f``; no Python loop runs over positions or records.

The Masked-ARM takes exactly as many steps as the AO-MDM (one record per AO-MDM step), reaches the same canvas, and
has length ``S + m <= 2S``.  A stochastic ``f`` receives the same random stream in both runs (one call per step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.paradigms import AOMDM, MaskedARM
from machines.predictor import Prediction, Predictor
from machines.vocab import BaseVocabulary, WordVocabulary
from reductions.errors import InstanceTooLarge, InvalidInstance, LockstepMismatch, UnsupportedProgram

__all__ = ["LOOKUP_PASSES", "REFERENCE_EVERY_STEP_UP_TO", "REFERENCE_SAMPLE", "MaskedARMPredictor", "PassLog",
           "SequenceReader", "Theorem3Run", "decode_canvas", "decode_canvas_reference", "encode_start", "hard_lookup",
           "hard_lookup_reference", "masked_arm_vocabulary", "simulate"]

#: The claimed number of lookup (attention) passes f' adds around the AO-MDM network, for every S (the measured
#: count comes from :class:`SequenceReader`; this is what it is checked against).
LOOKUP_PASSES = 3
_MASK = 0  # the Masked-ARM's MASK id (its only special); word w has id w + 1
_MAX_WORDS = 2**62  # record words must fit int64 ids


def masked_arm_vocabulary(base: BaseVocabulary, canvas_length: int) -> WordVocabulary:
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


def encode_start(x0: np.ndarray, base: BaseVocabulary) -> np.ndarray:
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

    Vectorised by direct addressing when the keys are small non-negative integers (O(Q + K)), else with a sort and
    a binary search; duplicate keys are refused (an AO-MDM writes a position once).

    Examples
    --------
    >>> hard_lookup(np.array([3, 1, 7]), np.array([1, 3]), np.array([10, 30]), -1).tolist()
    [30, 10, -1]

    Notes
    -----
    O(Q + K) (direct addressing) or O((Q + K) log K) (sort); the reference is the O(Q*K) score matrix of
    :func:`hard_lookup_reference`.
    """
    q, k, v = (np.asarray(a, dtype=np.int64) for a in (queries, keys, values))
    out = np.full(q.shape[0], default, dtype=np.int64)
    if k.size == 0:
        return out
    lo, hi = int(k.min()), int(k.max())
    if lo >= 0 and hi <= 4 * (q.size + k.size) + 64:  # direct addressing: a scatter of the keys, a gather per query
        counts = np.bincount(k, minlength=hi + 1)
        if bool((counts > 1).any()):
            raise LockstepMismatch(f"two records name canvas position {int(np.argmax(counts > 1))}: an AO-MDM "
                                   "decodes a position only once")
        table = np.full(hi + 1, -1, dtype=np.int64)
        table[k] = np.arange(k.size, dtype=np.int64)
        inside = (q >= 0) & (q <= hi)
        slot = np.full(q.shape[0], -1, dtype=np.int64)
        slot[inside] = table[q[inside]]
        hit = slot >= 0
        out[hit] = v[slot[hit]]
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


class SequenceReader:
    """Counting access to a sequence: f' reads ``z`` only through these methods, each of which counts its pass.

    ``local()`` is a position-wise pass (every position sees its own token); ``lookup``, ``attend_max`` and
    ``left_neighbour`` are cross-position passes (one hard-attention layer each).  ``lookups`` and ``locals`` are
    the counts so far, so the number of passes of a call is derived from the accesses it made.

    Examples
    --------
    >>> r = SequenceReader(np.array([3, 1, 0]))
    >>> own = r.local()
    >>> r.left_neighbour(own, fill=9).tolist(), r.lookups, r.locals
    ([9, 3, 1], 1, 1)

    Notes
    -----
    Each method is O(length) vectorised numpy (``lookup``: see :func:`hard_lookup`).  Serves Theorem 3.
    """

    __slots__ = ("_z", "locals", "lookups")

    def __init__(self, z: np.ndarray) -> None:
        self._z = np.asarray(z, dtype=np.int64)
        self.lookups = 0
        self.locals = 0

    def local(self) -> np.ndarray:
        """A position-wise pass: a copy of the tokens (each position reads only itself)."""
        self.locals += 1
        return self._z.copy()

    def lookup(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, default: int) -> np.ndarray:
        """One hard-attention pass: each query takes the value of the key equal to it (:func:`hard_lookup`)."""
        self.lookups += 1
        return hard_lookup(queries, keys, values, default)

    def attend_max(self, scores: np.ndarray, values: np.ndarray) -> int:
        """One hard-attention pass with a single query: the value at the (first) maximal score."""
        self.lookups += 1
        return int(np.asarray(values)[int(np.argmax(scores))])

    def left_neighbour(self, values: np.ndarray, fill: int) -> np.ndarray:
        """One attention pass with a relative-position key: every position reads its left neighbour's value."""
        self.lookups += 1
        va = np.asarray(values, dtype=np.int64)
        out = np.empty_like(va)
        if va.size:
            out[0] = fill
            out[1:] = va[:-1]
        return out


def _layout(za: np.ndarray, base_size: int, base_mask: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """Local pass: ``(S, r, prompt tokens, record keys p - 1, record tokens)``, records at positions ``S..r-1``.

    Validates ``z = [prompt cells | records | MASK slots]`` and reports every problem at once.  A prompt cell is an
    id in ``1..B`` (``p = 0``), a slot is ``0``; only the records are split into ``(p, v)`` (one integer division
    each), so the pass is O(len(z)) comparisons plus O(records) divisions.
    """
    n = int(za.shape[0])
    is_prompt = (za >= 1) & (za <= base_size)
    s = n if bool(is_prompt.all()) else int(np.argmin(is_prompt))
    is_slot = za == _MASK
    r = n - int(np.count_nonzero(is_slot))
    p, v = np.divmod(za[s:r] - 1, base_size) if s < r else (za[:0], za[:0])
    problems = []
    if s == 0:
        problems.append("it has no prompt cell")
    if int(np.count_nonzero(is_prompt)) != s or r < s or not bool(is_slot[r:].all()):
        problems.append("it is not [prompt cells | records | MASK slots]")
    if bool((za < 0).any()) or bool((p > s).any()):
        problems.append(f"it holds ids outside the vocabulary of canvas length {s}")
    if bool((v == base_mask).any()):
        problems.append("a record writes MASK")
    if problems:
        raise InvalidInstance("not a Masked-ARM sequence of this construction: " + "; ".join(problems))
    return s, r, za[:s] - 1, p - 1, v


def _canvas(reader: SequenceReader, base_size: int, base_mask: int) -> tuple[np.ndarray, np.ndarray]:
    """The local pass and lookup 1 of f' on ``reader``: ``(own tokens, canvas)``."""
    own = reader.local()
    s, r, canvas, keys, tokens = _layout(own, base_size, base_mask)
    holes = np.flatnonzero(canvas == base_mask)
    filled = reader.lookup(holes, keys, tokens, base_mask)  # every hole finds the record naming it
    canvas[holes] = filled
    _check_records_hit(filled, r - s, base_mask)
    return own, canvas


def decode_canvas(z: np.ndarray, base_size: int, base_mask: int) -> np.ndarray:
    """The AO-MDM canvas represented by ``z`` (the local pass and lookup 1 of f').

    Examples
    --------
    >>> decode_canvas(np.array([3, 1, 2, 1, 15, 0]), 3, 0).tolist()
    [2, 0, 1, 2]
    """
    return _canvas(SequenceReader(z), base_size, base_mask)[1]


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
    O(S + m) vectorised numpy per call plus the cost of ``inner``.  Serves Theorem 3.
    """

    inner: Predictor
    base_size: int
    base_mask: int

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        return self.explain(x, rng)[0]

    def explain(self, z: np.ndarray, rng: np.random.Generator) -> tuple[Prediction, PassLog]:
        """The prediction and the :class:`PassLog` counted by the :class:`SequenceReader` that served every read."""
        reader = SequenceReader(z)
        pred = self._predict(reader, rng)
        return pred, PassLog(lookups=reader.lookups, local=reader.locals, inner_calls=1)

    def _predict(self, reader: SequenceReader, rng: np.random.Generator) -> Prediction:
        """f' proper: every read of the sequence goes through ``reader`` (which counts the passes)."""
        B, M = self.base_size, self.base_mask
        own, canvas = _canvas(reader, B, M)  # local pass, then lookup 1: the AO-MDM canvas
        s = int(canvas.shape[0])
        pred = self.inner(canvas, rng)
        if pred.halt:
            return Prediction(y=own, halt=True)
        unmask = np.zeros(s, dtype=np.bool_) if pred.unmask is None else np.asarray(pred.unmask, dtype=np.bool_)
        if unmask.shape != (s,) or int(np.count_nonzero(unmask)) != 1 or canvas[int(np.argmax(unmask))] != M:
            raise UnsupportedProgram("the inner predictor is not an AO-MDM predictor: it must unmask exactly one "
                                     f"masked canvas position per step (unmask = {np.flatnonzero(unmask).tolist()})")
        y = np.asarray(pred.y, dtype=np.int64)
        # lookup 2: the emission attends to the canvas position whose unmask bit is 1 and reads (q*, y[q*])
        q_star = reader.attend_max(unmask, np.arange(s, dtype=np.int64))
        record = (q_star + 1) * B + int(y[q_star]) + 1
        # lookup 3: every position reads its left neighbour; the leftmost slot is a MASK whose neighbour is not
        left = reader.left_neighbour(own, fill=1)
        nxt = (own == _MASK) & (left != _MASK)
        own[nxt] = record
        return Prediction(y=own, unmask=nxt)


@dataclass(frozen=True, slots=True)
class Theorem3Run:
    """Side-by-side result of one AO-MDM run and its Masked-ARM simulation.

    ``lookup_passes`` is the set of pass counts f' was measured to make (a one-element tuple when constant).
    ``lockstep`` is True when, after every step, the record the Masked-ARM wrote names exactly the AO-MDM's
    decision of that step, and the canvas decoded by the plain :func:`decode_canvas_reference` equals the
    AO-MDM's canvas at every checked step (``reference_steps`` of them: all steps for short sequences, a seeded
    sample plus the last step for long ones).  ``final`` is the AO-MDM's final canvas.
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
    reference_steps: int = 0

    @property
    def ok(self) -> bool:
        return (self.same_final and self.lockstep and self.ao_steps == self.marm_steps
                and self.marm_length <= 2 * self.canvas_length and self.lookup_passes in ((), (LOOKUP_PASSES,)))


#: Masked-ARM sequences up to this length are decoded by :func:`decode_canvas_reference` after *every* step.
REFERENCE_EVERY_STEP_UP_TO = 2048
#: Longer ones: after this many steps drawn with the run's seed, plus the last step (plain Python is O(S) a step).
REFERENCE_SAMPLE = 48


def _reference_steps(total_hint: int, length: int, seed: int) -> frozenset[int] | None:
    """The step numbers decoded by the plain reference (``None``: every step)."""
    if length <= REFERENCE_EVERY_STEP_UP_TO or total_hint <= REFERENCE_SAMPLE:
        return None
    rng = np.random.default_rng([seed, length, total_hint])
    return frozenset(int(t) + 1 for t in rng.choice(total_hint, size=REFERENCE_SAMPLE, replace=False))


def simulate(*, predictor: Predictor, vocab: BaseVocabulary, x0: np.ndarray, seed: int = 0,
             max_steps: int = 100_000, wrapper: type[MaskedARMPredictor] = MaskedARMPredictor) -> Theorem3Run:
    """Run the AO-MDM and its Masked-ARM simulation side by side, checking the canvas in lock step.

    The lock-step check never uses f''s own decoder (:func:`decode_canvas`).  After every step ``t`` it reads the
    record in slot ``t`` with plain integer arithmetic and checks that it names the position the AO-MDM unmasked
    at step ``t`` and the token it wrote (O(1) Python per step, plus one numpy comparison of the AO-MDM's two
    canvases); and it decodes the whole canvas from the Masked-ARM's sequence with the independent plain-Python
    :func:`decode_canvas_reference` and compares it with the AO-MDM's -- after every step when the sequence has at
    most :data:`REFERENCE_EVERY_STEP_UP_TO` tokens, else after :data:`REFERENCE_SAMPLE` steps drawn with ``seed``
    and after the last step.  ``wrapper`` builds f' from ``predictor`` (a subclass lets tests inject a mutant).

    Examples
    --------
    >>> from reductions.aomdm_examples import BIT_VOCAB, CircuitPredictor, prefix_xor
    >>> c = prefix_xor(8)
    >>> r = simulate(predictor=CircuitPredictor(circuit=c, order="scrambled"), vocab=BIT_VOCAB, x0=c.start([1] * 8))
    >>> (r.ao_steps, r.marm_steps, r.canvas_length, r.marm_length, r.lookup_passes, r.ok, r.reference_steps)
    (24, 24, 32, 56, (3,), True, 24)

    Notes
    -----
    O(steps * (S + cost of the predictor)) vectorised, plus O(S) plain Python per reference-checked step.  Serves
    Theorem 3.
    """
    x = np.asarray(x0, dtype=np.int64)
    s = int(x.shape[0])
    B, M = vocab.size, vocab.mask_id
    z0 = encode_start(x, vocab)
    m = int(z0.shape[0]) - s
    f1 = wrapper(inner=predictor, base_size=B, base_mask=M)
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
    sample = _reference_steps(m, int(z0.shape[0]), seed)
    lockstep, checked, last_ref = True, 0, -1
    for t, (ao_rec, m_rec) in enumerate(zip(ao_it, marm_it, strict=False), start=1):
        changed = np.flatnonzero(ao_rec.x != ao_rec.x_next)
        word = int(m_rec.x_next[s + t - 1]) - 1 if s + t - 1 < m_rec.x_next.shape[0] else -1
        q, tok = divmod(word, B)
        if not (changed.size == 1 and word >= 0 and q - 1 == int(changed[0]) and tok == int(ao_rec.x_next[q - 1])
                and int(m_rec.x[s + t - 1]) == _MASK):
            lockstep = False
        if sample is None or t in sample:
            checked, last_ref = checked + 1, t
            if decode_canvas_reference(m_rec.x_next, B, M) != ao_rec.x_next.tolist():
                lockstep = False
    for _ in ao_it:
        lockstep = False
    for _ in marm_it:
        lockstep = False
    ao_res, m_res = ao_it.result, marm_it.result
    if ao_res is None or m_res is None:  # pragma: no cover - both iterators are drained above
        raise LockstepMismatch("a run did not finish")
    final_canvas = decode_canvas_reference(m_res.final, B, M)
    if m_res.counters.steps and last_ref != m_res.counters.steps:
        checked += 1  # the last step is always reference-checked (through the final sequence)
    return Theorem3Run(canvas_length=s, masks=m, ao_steps=ao_res.counters.steps, marm_steps=m_res.counters.steps,
                       marm_length=int(m_res.counters.peak_length), same_final=final_canvas == ao_res.final.tolist(),
                       lockstep=lockstep, lookup_passes=tuple(sorted(passes)), ao_halt=ao_res.halt_reason,
                       marm_halt=m_res.halt_reason, final=tuple(int(t) for t in ao_res.final),
                       reference_steps=checked)
