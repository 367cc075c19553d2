"""The five generation paradigms as exact machines: ARM, MDM, AO-MDM, Masked-ARM and AP-MDM.

A machine is an immutable definition (vocabulary, predictor, caps).  Its one execution primitive is
:meth:`Machine.trace`, a stepwise iterator of :class:`~machines.records.StepRecord` s; :meth:`Machine.run` drains
it.  Each step calls the predictor on the current sequence (read-only, positions ``0..L-1`` re-encoded every step),
validates the prediction against the paradigm's discipline (:func:`machines.discipline.advance`) and applies it.

Halting, checked in this order every step:

1. ``"no-masks"`` -- MDM family only: no mask is left (the predictor is not called).
2. ``"done"`` -- the predictor set ``Prediction.halt`` (the prediction is not applied).
3. ``"fixed-point"`` -- the step would not change the sequence: the run ends with the current sequence and the
   step is **not** counted (``steps`` = number of steps that changed the sequence).
4. caps -- a changing step number ``max_steps + 1`` raises ``LimitExceeded(limit_name="max_steps")``; a step whose
   output would be longer than ``max_length`` raises ``LimitExceeded(limit_name="max_length")`` before the output is
   built (insert can double the length in one step).
5. ``"eos"`` -- after the step, if ``halt_on_eos`` and the vocabulary has EOS and this step *wrote* EOS (unmasked a
   mask to EOS; for an ARM, appended EOS -- reported as ``"done"`` for ARM).  An EOS already in the prompt does
   not stop the run.

``halt_on_eos`` defaults to ``True`` for ARM and AP-MDM and ``False`` for the MDM family (which stops when no
mask is left).

Records hold the predictor's arrays as returned (no copy): a predictor must not mutate an array it has returned.
Every ``x`` and ``x_next`` is a fresh read-only array.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import ClassVar

import numpy as np

from machines.discipline import MDM_FAMILY, advance
from machines.errors import LimitExceeded, MachineConfigError, VocabularyError
from machines.predictor import Prediction, Predictor
from machines.records import (
    MachineCounters,
    RunResult,
    StepCounts,
    StepIterator,
    StepRecord,
    Tally,
)
from machines.vocab import BaseVocabulary
from pram.rng import SeedLike, as_generator

__all__ = ["AOMDM", "APMDM", "ARM", "MDM", "MachineCounters", "MaskedARM", "Machine", "RunResult", "StepCounts",
           "StepRecord", "StepIterator", "machine_class"]


class Machine:
    """Common part of the five machines (abstract: use :class:`ARM`, :class:`MDM`, ... ).

    Parameters (keyword-only)
    -------------------------
    vocab : Vocabulary or WordVocabulary
    predictor : callable ``predictor(x, rng) -> Prediction`` (a pure function of ``x`` and ``rng``)
    max_steps : int >= 0, cap on the number of steps (default 10_000)
    max_length : int >= 1, cap on the sequence length (default 1_000_000)
    halt_on_eos : bool, stop after a step that writes EOS (default per paradigm, see the module docstring)
    """

    paradigm: ClassVar[str] = ""
    default_halt_on_eos: ClassVar[bool] = True
    __slots__ = ("vocab", "predictor", "max_steps", "max_length", "halt_on_eos")

    def __init__(self, *, vocab: BaseVocabulary, predictor: Predictor, max_steps: int = 10_000,
                 max_length: int = 1_000_000, halt_on_eos: bool | None = None) -> None:
        problems = []
        if type(self) is Machine:
            problems.append("Machine is abstract; use ARM, MDM, AOMDM, MaskedARM or APMDM")
        if not isinstance(vocab, BaseVocabulary):
            problems.append(f"vocab must be a Vocabulary or WordVocabulary, got {type(vocab).__name__}")
        if not callable(predictor):
            problems.append(f"predictor must be callable, got {type(predictor).__name__}")
        for name, value, lo in (("max_steps", max_steps, 0), ("max_length", max_length, 1)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
                problems.append(f"{name} must be an integer >= {lo}, got {value!r}")
        if problems:
            raise MachineConfigError(f"invalid {self.paradigm or 'machine'}: " + "; ".join(problems))
        self.vocab = vocab
        self.predictor = predictor
        self.max_steps = int(max_steps)
        self.max_length = int(max_length)
        self.halt_on_eos = self.default_halt_on_eos if halt_on_eos is None else bool(halt_on_eos)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(paradigm={self.paradigm!r}, vocab_size={self.vocab.size}, "
                f"max_steps={self.max_steps}, max_length={self.max_length}, halt_on_eos={self.halt_on_eos})")

    # -- the execution primitive --------------------------------------------------------------------------------
    def trace(self, x0: np.ndarray | list[int], *, seed: SeedLike = 0) -> StepIterator:
        """Yield one :class:`StepRecord` per step; after exhaustion ``.result`` holds the :class:`RunResult`.

        ``seed`` (an int or a numpy Generator) feeds the predictor's ``rng``; the same seed gives the same run.
        """
        x = self._start(x0)
        tally = Tally(int(x.shape[0]))
        return StepIterator(self._execute(x, as_generator(seed), tally), tally)

    def run(self, x0: np.ndarray | list[int], *, seed: SeedLike = 0, keep_records: bool = False) -> RunResult:
        """Run to a halt and return the :class:`RunResult` (with the records if ``keep_records``)."""
        it = self.trace(x0, seed=seed)
        kept = tuple(it) if keep_records else None
        if kept is None:
            deque(it, maxlen=0)  # drain without keeping the records
        res = it.result
        assert res is not None  # set when the iterator is exhausted
        if kept is None:
            return res
        return RunResult(final=res.final, halt_reason=res.halt_reason, counters=res.counters, records=kept)

    # -- internals ----------------------------------------------------------------------------------------------
    def _start(self, x0: np.ndarray | list[int]) -> np.ndarray:
        arr = np.asarray(x0)
        if arr.ndim != 1:
            raise MachineConfigError(f"the start sequence must be one-dimensional, got shape {arr.shape}")
        if arr.size and arr.dtype.kind not in "iu":
            raise MachineConfigError(f"the start sequence must hold integer token ids, got dtype {arr.dtype}")
        x = arr.astype(np.int64, copy=True)
        bad = ~self.vocab.contains_id(x)
        if bad.any():
            i = int(np.argmax(bad))
            raise VocabularyError(f"start sequence position {i}: unknown token id {int(x[i])}")
        if x.shape[0] > self.max_length:
            raise LimitExceeded(limit_name="max_length", limit=self.max_length,
                                hint=f"the machine's max_length= keyword or --max-length (the start sequence has "
                                     f"length {x.shape[0]})")
        self._validate_start(x)
        x.setflags(write=False)
        return x

    def _validate_start(self, x: np.ndarray) -> None:
        """Paradigm-specific checks of the start sequence (none by default)."""

    def _execute(self, x: np.ndarray, rng: np.random.Generator, tally: Tally) -> Generator[StepRecord, None, RunResult]:
        mask_id, eos_id = self.vocab.mask_id, self.vocab.eos_id
        eos_halts = self.halt_on_eos and eos_id is not None
        t = 0
        mdm_family = self.paradigm in MDM_FAMILY
        # MDM family: the masks left, counted once and then kept by the step counts (each step unmasks exactly
        # counts.unmasked masks and makes none), so no step rescans the context
        masks_left = int(np.count_nonzero(x == mask_id)) if mdm_family else 0
        while True:
            if mdm_family and masks_left == 0:
                reason = "no-masks"
                break
            pred = self.predictor(x, rng)
            if isinstance(pred, Prediction) and bool(pred.halt):
                reason = "done"
                break
            nxt = advance(self.paradigm, x, pred, step=t + 1, mask_id=mask_id, vocab_size=self.vocab.size,
                          max_length=self.max_length)
            x_next = nxt.x_next
            if mdm_family:  # the discipline admits only steps that unmask >= 1 mask: never a fixed point
                masks_left -= nxt.counts.unmasked
            elif np.array_equal(x_next, x):
                reason = "fixed-point"
                break
            t += 1
            if t > self.max_steps:
                raise LimitExceeded(limit_name="max_steps", limit=self.max_steps,
                                    hint="the machine's max_steps= keyword or --max-steps")
            x_next.setflags(write=False)
            tally.add(nxt.counts, int(x_next.shape[0]))
            yield StepRecord(t=t, x=x, prediction=pred, x_next=x_next)
            x = x_next
            if eos_halts and bool((nxt.written == eos_id).any()):
                reason = "done" if self.paradigm == "arm" else "eos"
                break
        return RunResult(final=x, halt_reason=reason, counters=tally.freeze(), records=None)


class ARM(Machine):
    """Autoregressive machine: each step appends the predicted next token ``y[-1]``; written tokens never change.

    The start sequence must be non-empty (a prompt or BOS) and mask-free.  Halts with ``"done"`` when it appends
    EOS (if ``halt_on_eos``) or when the predictor sets ``Prediction.halt``.

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> from machines.predictor import Prediction
    >>> v = simple_vocabulary(["a", "b"], bos=True, eos=True)
    >>> def count_to_three(x, rng):  # write 'a' until the length is 4, then EOS
    ...     nxt = v.id_of("a") if len(x) < 4 else v.eos_id
    ...     return Prediction(y=np.full(len(x), nxt))
    >>> r = ARM(vocab=v, predictor=count_to_three).run(v.encode(["[BOS]"]))
    >>> v.decode(r.final), r.halt_reason, r.counters.steps, r.counters.tokens_processed
    (['[BOS]', 'a', 'a', 'a', '[EOS]'], 'done', 4, 10)

    Notes
    -----
    Per step O(L) validation plus the predictor's cost; ``tokens_processed`` = sum of context lengths (PAPER.md §1.3).
    """

    paradigm: ClassVar[str] = "arm"
    __slots__ = ()

    def _validate_start(self, x: np.ndarray) -> None:
        problems = []
        if x.shape[0] == 0:
            problems.append("an ARM needs a non-empty start sequence (a prompt or BOS)")
        masks = np.flatnonzero(x == self.vocab.mask_id)
        if masks.size:
            problems.append(f"an ARM start sequence holds no MASK (found at position {int(masks[0])})")
        if problems:
            raise MachineConfigError("; ".join(problems))


class MDM(Machine):
    """Masked diffusion machine: fixed length; each step unmasks a non-empty set of masks; decoded tokens are frozen.

    Halts with ``"no-masks"`` when no mask is left.

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> from machines.predictor import Prediction
    >>> v = simple_vocabulary(["a", "b"])
    >>> def every_other(x, rng):  # unmask the masks at even positions first, then the rest
    ...     m = x == v.mask_id
    ...     even = m & (np.arange(len(x)) % 2 == 0)
    ...     return Prediction(y=np.full(len(x), v.id_of("b")), unmask=even if even.any() else m)
    >>> r = MDM(vocab=v, predictor=every_other).run(np.zeros(5, dtype=np.int64))
    >>> v.decode(r.final), r.halt_reason, [c.unmasked for c in r.counters.per_step]
    (['b', 'b', 'b', 'b', 'b'], 'no-masks', [3, 2])

    Notes
    -----
    At most (#masks in x_0) steps; serves Theorems 1-2 (PAPER.md §1.4).
    """

    paradigm: ClassVar[str] = "mdm"
    default_halt_on_eos: ClassVar[bool] = False
    __slots__ = ()


class AOMDM(MDM):
    """Any-order MDM: exactly one mask, anywhere, is unmasked per step (PAPER.md §1.5; Theorem 3)."""

    paradigm: ClassVar[str] = "ao-mdm"
    __slots__ = ()


class MaskedARM(MDM):
    """Masked-ARM: exactly the leftmost mask is unmasked per step (the project's reading, [I] in PAPER.md §1.5)."""

    paradigm: ClassVar[str] = "masked-arm"
    __slots__ = ()


class APMDM(Machine):
    """Any-process MDM: per position a 3-bit control (remask, insert, delete); ``x_{t+1} = g(x_t, y_t, c_t)``.

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> from machines.predictor import Prediction
    >>> v = simple_vocabulary(["a"])
    >>> def grow_to_eight(x, rng):  # double the masks until there are 8, then unmask them all
    ...     n = len(x)
    ...     return Prediction(y=np.full(n, v.id_of("a")), remask=np.full(n, n < 8), insert=np.full(n, n < 8))
    >>> r = APMDM(vocab=v, predictor=grow_to_eight).run(np.zeros(1, dtype=np.int64))
    >>> r.final.tolist(), r.halt_reason, [c.length for c in r.counters.per_step], r.counters.peak_length
    ([1, 1, 1, 1, 1, 1, 1, 1], 'fixed-point', [1, 2, 4, 8], 8)

    Notes
    -----
    O(L) per step for g (vectorised) plus the predictor's cost; serves Theorems 4-6 (PAPER.md §1.6, Algorithm 1).
    """

    paradigm: ClassVar[str] = "ap-mdm"
    __slots__ = ()


_CLASSES: dict[str, type[Machine]] = {"arm": ARM, "mdm": MDM, "ao-mdm": AOMDM, "masked-arm": MaskedARM,
                                      "ap-mdm": APMDM}


def machine_class(paradigm: str) -> type[Machine]:
    """The machine class of a paradigm name (``"arm"``, ``"mdm"``, ``"ao-mdm"``, ``"masked-arm"``, ``"ap-mdm"``).

    Examples
    --------
    >>> machine_class("ao-mdm").__name__
    'AOMDM'
    """
    try:
        return _CLASSES[paradigm]
    except KeyError:
        raise MachineConfigError(f"unknown paradigm {paradigm!r}; expected one of {', '.join(_CLASSES)}") from None
