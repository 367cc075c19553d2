"""Three batched decoders: AP-MDM rollout on the exact machine, AO-MDM Top-K margin decoding, ARM greedy decoding.

Each decoder advances many instances with **one model call per step** (the call receives every still-running
sequence) and lets each instance halt on its own.  Every step of every instance goes through
:func:`machines.discipline.advance` -- the same validated step the single-instance machines of
:mod:`machines.paradigms` take -- so an AP-MDM step is ``g`` of Algorithm 1 and a prediction that breaks a paradigm's
rule (a MASK written at an unmasked position, a token outside the vocabulary, a length or step cap) stops *that*
instance with halt reason ``"illegal"`` and the machine's message, while the others go on.

Halting follows :class:`machines.paradigms.Machine` exactly (``tests/proofs_check/test_engine_decoders.py`` checks a
batched
rollout against one-instance runs): ``"no-masks"`` (MDM family), ``"done"`` (the prediction says halt),
``"fixed-point"`` (the step would not change the sequence; not counted), ``"max-steps"`` (where the machine raises
:class:`~machines.errors.LimitExceeded`), then ``"eos"`` after a step that wrote EOS (``"done"`` for an ARM).

The model side is a plain callable on a list of sequences: :class:`NeuralBatchPredictor` (AP-MDM predictions from
the numpy Transformer) and :class:`NeuralBatchLogits` (token logits, for AO-MDM and ARM), or
:func:`oracle_batch` around a task's one-sequence oracle ``predictor(x, rng)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from machines.discipline import advance
from machines.errors import DisciplineViolation, LimitExceeded
from machines.neural.config import ModelConfig
from machines.neural.decode import CausalKVCache, argmax_no_mask, batch_outputs
from machines.neural.layers import Params
from machines.neural.model import Transformer
from machines.predictor import Prediction
from machines.vocab import BaseVocabulary

__all__ = ["BatchLogits", "BatchPredictor", "NeuralBatchLogits", "NeuralBatchPredictor", "Rollout",
           "aomdm_margin_decode", "apmdm_rollout", "arm_greedy_decode", "arm_greedy_decode_cached", "oracle_batch"]


class BatchPredictor(Protocol):
    """``predict(xs) -> [Prediction]``: one AP-MDM prediction per sequence, a pure function of each sequence."""

    def __call__(self, xs: Sequence[np.ndarray], /) -> list[Prediction]: ...


class BatchLogits(Protocol):
    """``logits(xs) -> [(L_b, V) array]``: token logits of every sequence."""

    def __call__(self, xs: Sequence[np.ndarray], /) -> list[np.ndarray]: ...


@dataclass(frozen=True, slots=True)
class Rollout:
    """One decoded instance: the final sequence, why it stopped, the number of applied steps, and the machine's
    message when the stop was ``"illegal"``."""

    final: np.ndarray
    halt_reason: str
    steps: int
    error: str | None = None


def oracle_batch(predictor: Callable[[np.ndarray, np.random.Generator], Prediction], *,
                 seed: int = 0) -> BatchPredictor:
    """A one-sequence predictor mapped over the batch (the oracle side of the decoder tests)."""
    rng = np.random.default_rng(seed)

    def predict(xs: Sequence[np.ndarray]) -> list[Prediction]:
        return [predictor(np.asarray(x), rng) for x in xs]

    return predict


class NeuralBatchPredictor:
    """The Transformer as a :class:`BatchPredictor`: SUBS argmax tokens at masks (``y = x`` elsewhere) and control
    bits ``logit > 0`` (sigmoid > 0.5), as :class:`machines.neural.predictor.NeuralPredictor` decides on one sequence.

    ``dtype`` is the inference precision (float32 by default, as trained; float64 for exact comparisons).
    """

    def __init__(self, *, config: ModelConfig, params: Params, dtype: Any = np.float32, max_tokens: int = 16_384):
        self.cfg = config
        self.net = Transformer(config)
        self.params = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
        self.max_tokens = max_tokens

    def __call__(self, xs: Sequence[np.ndarray]) -> list[Prediction]:
        outs = batch_outputs(self.net, self.params, [np.asarray(x, np.int64) for x in xs], max_tokens=self.max_tokens)
        preds = []
        for x, o in zip(xs, outs, strict=True):
            x = np.asarray(x, np.int64)
            tok = argmax_no_mask(o.token, self.cfg.mask_id)
            ctrl = o.ctrl > 0
            preds.append(Prediction(y=np.where(x == self.cfg.mask_id, tok, x), remask=ctrl[:, 0], insert=ctrl[:, 1],
                                    delete=ctrl[:, 2]))
        return preds


class NeuralBatchLogits:
    """The Transformer's token logits as a :class:`BatchLogits` (bidirectional for AO-MDM, causal for ARM)."""

    def __init__(self, *, config: ModelConfig, params: Params, dtype: Any = np.float32, max_tokens: int = 16_384):
        self.net = Transformer(config)
        self.params = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
        self.max_tokens = max_tokens

    def __call__(self, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
        outs = batch_outputs(self.net, self.params, [np.asarray(x, np.int64) for x in xs], max_tokens=self.max_tokens)
        return [o.token for o in outs]


def _illegal(x: np.ndarray, steps: int, exc: Exception) -> Rollout:
    return Rollout(final=x, halt_reason="illegal", steps=steps, error=str(exc))


def apmdm_rollout(predict: BatchPredictor, x0s: Sequence[np.ndarray], *, vocab: BaseVocabulary,
                  max_steps: int | Sequence[int], max_length: int | None = None,
                  on_step: Callable[[int, int], None] | None = None,
                  observe: Callable[[list[int], list[np.ndarray], list[Prediction]], None] | None = None
                  ) -> list[Rollout]:
    """Run every ``x0`` to a halt on the exact AP-MDM machine, one ``predict`` call per step for all running ones.

    ``max_steps`` is one cap for all or one per instance.  ``on_step(step, n_running)`` is called after every batched
    step (progress); ``observe(indices, xs, predictions)`` sees every batched prediction before it is applied (the
    instances' indices into ``x0s``; for error analysis).

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> v = simple_vocabulary(["a"])  # ids: MASK 0, 'a' 1 (no EOS: runs end at a fixed point)
    >>> def grow(x, rng):  # double the masks until there are 4, then unmask them all
    ...     n = len(x); return Prediction(y=np.full(n, 1), remask=np.full(n, n < 4), insert=np.full(n, n < 4))
    >>> rs = apmdm_rollout(oracle_batch(grow), [np.array([0]), np.array([0, 0])], vocab=v, max_steps=10)
    >>> [(r.final.tolist(), r.halt_reason, r.steps) for r in rs]
    [([1, 1, 1, 1], 'fixed-point', 3), ([1, 1, 1, 1], 'fixed-point', 2)]

    Notes
    -----
    One model call per step on the running instances plus ``O(L)`` for ``g`` per instance and step.
    """
    mask_id, eos_id = vocab.mask_id, vocab.eos_id
    xs = [np.asarray(x, np.int64) for x in x0s]
    steps = [0] * len(xs)
    done: list[Rollout | None] = [None] * len(xs)
    caps = [int(max_steps)] * len(xs) if isinstance(max_steps, int) else [int(m) for m in max_steps]
    if len(caps) != len(xs):
        raise ValueError(f"max_steps: {len(caps)} caps for {len(xs)} instances")
    running = list(range(len(xs)))
    t = 0
    while running:
        preds = predict([xs[i] for i in running])
        if observe is not None:
            observe(list(running), [xs[i] for i in running], list(preds))
        t += 1
        still = []
        for i, pred in zip(running, preds, strict=True):
            x = xs[i]
            if isinstance(pred, Prediction) and bool(pred.halt):
                done[i] = Rollout(final=x, halt_reason="done", steps=steps[i])
                continue
            try:
                nxt = advance("ap-mdm", x, pred, step=steps[i] + 1, mask_id=mask_id, vocab_size=vocab.size,
                              max_length=max_length)
            except (DisciplineViolation, LimitExceeded) as exc:
                done[i] = _illegal(x, steps[i], exc)
                continue
            if np.array_equal(nxt.x_next, x):
                done[i] = Rollout(final=x, halt_reason="fixed-point", steps=steps[i])
                continue
            if steps[i] + 1 > caps[i]:
                done[i] = Rollout(final=x, halt_reason="max-steps", steps=steps[i])
                continue
            steps[i] += 1
            xs[i] = nxt.x_next
            if eos_id is not None and bool((nxt.written == eos_id).any()):
                done[i] = Rollout(final=xs[i], halt_reason="eos", steps=steps[i])
                continue
            still.append(i)
        running = still
        if on_step is not None:
            on_step(t, len(running))
    return [r for r in done if r is not None]


def _margins(logits: np.ndarray, mask_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Per position: (argmax token with MASK forbidden, top-1 minus top-2 probability)."""
    z = np.array(logits, dtype=np.float64, copy=True)
    z[:, mask_id] = -np.inf
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    top2 = np.sort(p, axis=1)[:, -2:] if p.shape[1] > 1 else np.concatenate([np.zeros_like(p), p], axis=1)
    return p.argmax(axis=1), top2[:, 1] - top2[:, 0]


def aomdm_margin_decode(logits: BatchLogits, x0s: Sequence[np.ndarray], *, vocab: BaseVocabulary,
                        k: int = 1) -> list[Rollout]:
    """Fill every mask, ``k`` per step, choosing the masks whose top-1 minus top-2 probability is largest (the
    Top-K probability-margin rule of Kim et al., PAPER.md §3.0); ties go to the leftmost position.

    ``k = 1`` is AO-MDM (exactly one mask per step, checked by the ``"ao-mdm"`` discipline); ``k > 1`` runs as an
    MDM (at most ``k`` masks per step).

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> v = simple_vocabulary(["a", "b"])  # MASK 0, a 1, b 2
    >>> def lg(xs):  # sure of position 1 ('b'), unsure of position 0 (slightly 'a')
    ...     return [np.array([[0, 0.2, 0.0], [0, 0, 5.0]])[: len(x)] for x in xs]
    >>> r = aomdm_margin_decode(lg, [np.array([0, 0])], vocab=v)[0]
    >>> r.final.tolist(), r.halt_reason, r.steps
    ([1, 2], 'no-masks', 2)

    Notes
    -----
    One model call per step on the running instances; ``ceil(#masks / k)`` steps per instance.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    mask_id = vocab.mask_id
    paradigm = "ao-mdm" if k == 1 else "mdm"
    xs = [np.asarray(x, np.int64) for x in x0s]
    steps = [0] * len(xs)
    done: list[Rollout | None] = [None] * len(xs)
    running = []
    for i, x in enumerate(xs):
        if (x == mask_id).any():
            running.append(i)
        else:
            done[i] = Rollout(final=x, halt_reason="no-masks", steps=0)
    while running:
        outs = logits([xs[i] for i in running])
        still = []
        for i, lg in zip(running, outs, strict=True):
            x = xs[i]
            masks = np.flatnonzero(x == mask_id)
            tok, margin = _margins(lg[masks], mask_id)
            order = np.argsort(-margin, kind="stable")[:k]  # stable: ties keep the leftmost first
            unmask = np.zeros(x.shape[0], dtype=bool)
            unmask[masks[order]] = True
            y = x.copy()
            y[masks] = tok
            try:
                nxt = advance(paradigm, x, Prediction(y=y, unmask=unmask), step=steps[i] + 1, mask_id=mask_id,
                              vocab_size=vocab.size)
            except (DisciplineViolation, LimitExceeded) as exc:
                done[i] = _illegal(x, steps[i], exc)
                continue
            steps[i] += 1
            xs[i] = nxt.x_next
            if not (xs[i] == mask_id).any():
                done[i] = Rollout(final=xs[i], halt_reason="no-masks", steps=steps[i])
                continue
            still.append(i)
        running = still
    return [r for r in done if r is not None]


def arm_greedy_decode(logits: BatchLogits, prompts: Sequence[np.ndarray], *, vocab: BaseVocabulary, max_new: int,
                      stop_ids: Sequence[int] | None = None) -> list[Rollout]:
    """Append the argmax token (MASK forbidden) to every prompt until it writes a stop token (EOS by default;
    halt ``"done"``, as the ARM machine reports it) or has written ``max_new`` tokens (``"max-new"``).

    The logits of a running sequence are recomputed over its whole context at each step (no key/value cache):
    ``O(L^2)`` per decoded token for a length-``L`` context.

    Examples
    --------
    >>> from machines.vocab import simple_vocabulary
    >>> v = simple_vocabulary(["a"], eos=True)  # MASK 0, EOS 1, a 2
    >>> def lg(xs):  # write 'a' until the sequence has 3 tokens, then EOS
    ...     return [np.tile([0.0, 0.0, 1.0] if len(x) < 3 else [0.0, 1.0, 0.0], (len(x), 1)) for x in xs]
    >>> [(r.final.tolist(), r.halt_reason) for r in arm_greedy_decode(lg, [np.array([2]), np.array([2, 2, 2])],
    ...                                                                 vocab=v, max_new=5)]
    [([2, 2, 2, 1], 'done'), ([2, 2, 2, 1], 'done')]

    Notes
    -----
    One model call per step on the running instances.
    """
    stops = set([vocab.eos_id] if stop_ids is None and vocab.eos_id is not None else (stop_ids or []))
    mask_id = vocab.mask_id
    xs = [np.asarray(x, np.int64) for x in prompts]
    steps = [0] * len(xs)
    done: list[Rollout | None] = [None] * len(xs)
    running = list(range(len(xs)))
    while running:
        outs = logits([xs[i] for i in running])
        still = []
        for i, lg in zip(running, outs, strict=True):
            tok = int(argmax_no_mask(lg[-1], mask_id))
            if _arm_write(i, tok, xs, steps, done, mask_id=mask_id, vocab=vocab, stops=stops, max_new=max_new):
                still.append(i)
        running = still
    return [r for r in done if r is not None]


def arm_greedy_decode_cached(config: ModelConfig, params: Params, prompts: Sequence[np.ndarray], *,
                             vocab: BaseVocabulary, max_new: int, stop_ids: Sequence[int] | None = None,
                             dtype: Any = np.float32) -> list[Rollout]:
    """:func:`arm_greedy_decode` for a causal Transformer, with cached keys and values
    (:class:`~machines.neural.decode.CausalKVCache`): ``O(L)`` per decoded token instead of ``O(L^2)``.

    Same decisions and halting as :func:`arm_greedy_decode` on :class:`NeuralBatchLogits` (up to float rounding);
    every appended token still goes through the ARM machine's step (:func:`machines.discipline.advance`).

    Notes
    -----
    Prompts are fed one position per call for all rows at once; then one call per decoded token.
    """
    stops = set([vocab.eos_id] if stop_ids is None and vocab.eos_id is not None else (stop_ids or []))
    mask_id = vocab.mask_id
    xs = [np.asarray(x, np.int64) for x in prompts]
    if not xs:
        return []
    if min(len(x) for x in xs) == 0:
        raise ValueError("an ARM needs a non-empty prompt")
    net = Transformer(config)
    p = {k: np.asarray(v, dtype=dtype) for k, v in params.items()}
    cache = CausalKVCache(net, p, batch=len(xs), capacity=max(len(x) for x in xs) + max_new)
    last = np.zeros((len(xs), config.vocab_size), dtype=dtype)
    for t in range(max(len(x) for x in xs)):
        rows = np.array([b for b, x in enumerate(xs) if t < len(x)])
        lg = cache.step(rows, np.array([xs[b][t] for b in rows]))
        last[rows] = lg
    steps = [0] * len(xs)
    done: list[Rollout | None] = [None] * len(xs)
    running = list(range(len(xs)))
    while running:
        still, toks = [], []
        for i in running:
            tok = int(argmax_no_mask(last[i], mask_id))
            if _arm_write(i, tok, xs, steps, done, mask_id=mask_id, vocab=vocab, stops=stops, max_new=max_new):
                still.append(i)
                toks.append(tok)
        if still:
            last[still] = cache.step(np.array(still), np.array(toks))
        running = still
    return [r for r in done if r is not None]


def _arm_write(i: int, tok: int, xs: list[np.ndarray], steps: list[int], done: list[Rollout | None], *, mask_id: int,
               vocab: BaseVocabulary, stops: set[int] | frozenset[int], max_new: int) -> bool:
    """One ARM step of instance ``i`` through the exact machine: write ``tok`` in the last slot; record the rollout in
    ``done`` when the step is illegal, writes a stop token or reaches ``max_new``.  True when the instance goes on."""
    x = xs[i]
    y = x.copy()
    y[-1] = tok
    try:
        nxt = advance("arm", x, Prediction(y=y), step=steps[i] + 1, mask_id=mask_id, vocab_size=vocab.size)
    except (DisciplineViolation, LimitExceeded) as exc:
        done[i] = _illegal(x, steps[i], exc)
        return False
    steps[i] += 1
    xs[i] = nxt.x_next
    if tok in stops:
        done[i] = Rollout(final=xs[i], halt_reason="done", steps=steps[i])
    elif steps[i] >= max_new:
        done[i] = Rollout(final=xs[i], halt_reason="max-new", steps=steps[i])
    else:
        return True
    return False
