"""Parity as an AP-MDM process: the paper's seven transitions (PAPER.md §3.2), and what a model learns from them.

Sequences are ``[BOS] b_1 ... b_n [EOS]`` over the paper's vocabulary (BOS = 0, EOS = 1, MASK = 2, "0" = 3,
"1" = 4).  The paper's rule looks at a *pair* of bits:

* if either holds a MASK, those masks are deleted;
* otherwise every ``0`` of the pair is remasked, and a ``1 1`` pair is remasked (``01 -> M1``, ``10 -> 1M``,
  ``00 -> MM``, ``11 -> MM``);
* a ``1`` with no bit beside it (a last ``1`` before EOS) is left alone.

Two schedules apply that rule, and both keep the parity:

* :func:`oracle` -- the paper's, left to right: only the pair right after BOS acts.  A round consumes one or two
  bits in two steps, so a run takes at most ``2n`` steps.  Run on the four length-2 inputs ``[BOS] b1 b2`` (no
  EOS, as the paper's generator) it produces exactly the paper's seven training transitions
  (:func:`paper_transitions`).
* :func:`pairwise_oracle` -- every aligned pair ``(1, 2), (3, 4), ...`` at once.  The first round removes every
  ``0`` and every ``1 1`` pair, so only ``1``s survive, one per ``01``/``10`` pair; the second round pairs those
  and removes them two by two.  A run takes at most **4 steps at any length**.  This is powergen's construction
  **[I]**: the paper does not say which schedule its learned model follows.

What a model trained on length 2 can learn.  At length 2 the only pair is the first one, so the training data
cannot say what the pairs further right should do: no training position is far from BOS.  A model that must leave
those pairs alone (the left-to-right schedule) has to *guess* it, and powergen's relative-position models guess
wrong in almost every seed (``docs/experiment_parity.md``).  :meth:`ParityTask.model_config` instead gives the
model chunked attention over aligned pairs (``block=2``): every position sees exactly its own pair, so every pair
of a long input looks like the training pair, and the model runs :func:`pairwise_oracle`.  Training is on the
four length-2 inputs in the *evaluation's* format ``[BOS] b1 b2 [EOS]`` with their halting steps
(:func:`length2_transitions`, 9 transitions: the paper's 7 with EOS appended, plus ``[BOS] 1 [EOS]`` and
``[BOS] [EOS]`` staying put); the paper's exact seven, which never show EOS, are the task ``parity-seven``.
Keeping EOS in the final state is powergen's choice (the paper's ``expected_final`` omits it, PAPER.md §3.2).
"""

from __future__ import annotations

import numpy as np

from machines.neural.config import ModelConfig, TrainConfig
from machines.predictor import Prediction, Transition
from machines.transition import apply_g
from machines.vocab import Vocabulary
from reductions.errors import InvalidInstance

__all__ = ["VOCAB", "BOS", "EOS", "MASK", "ZERO", "ONE", "ParityTask", "ParitySevenTask", "oracle",
           "pairwise_oracle", "pairwise_step_bound", "encode_bits", "expected_final", "trajectory",
           "paper_transitions", "length2_transitions"]

VOCAB = Vocabulary(tokens=("[BOS]", "[EOS]", "[MASK]", "0", "1"), mask="[MASK]", bos="[BOS]", eos="[EOS]")
BOS, EOS, MASK, ZERO, ONE = 0, 1, 2, 3, 4


def encode_bits(bits: np.ndarray | list[int], *, eos: bool = True) -> np.ndarray:
    """``[BOS] bits [EOS]`` as token ids (``bits`` are 0/1).

    Examples
    --------
    >>> encode_bits([1, 0]).tolist()
    [0, 4, 3, 1]
    """
    b = np.asarray(bits, dtype=np.int64)
    if b.ndim != 1 or not np.isin(b, (0, 1)).all():
        raise InvalidInstance("parity input must be a one-dimensional array of 0/1 bits")
    return np.concatenate([[BOS], b + ZERO, [EOS] if eos else []]).astype(np.int64)


def expected_final(bits: np.ndarray | list[int]) -> np.ndarray:
    """``[BOS] [EOS]`` if the number of ones is even, ``[BOS] 1 [EOS]`` if odd (computed with a plain sum)."""
    odd = int(np.sum(np.asarray(bits, dtype=np.int64))) % 2
    return np.array([BOS] + [ONE] * odd + [EOS], dtype=np.int64)


def _pair_rule(vals: list[int], first: int, remask: np.ndarray, delete: np.ndarray) -> None:
    """The paper's rule on the pair ``vals`` (the tokens at positions ``first, first + 1, ...``), in place."""
    if MASK in vals:
        for i, v in enumerate(vals, first):
            if v == MASK:
                delete[i] = True
        return
    bits = [(i, v) for i, v in enumerate(vals, first) if v in (ZERO, ONE)]
    both_ones = len(bits) == 2 and bits[0][1] == bits[1][1] == ONE
    for i, v in bits:
        if both_ones or v == ZERO:
            remask[i] = True


def oracle(x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
    """The paper's rule on the pair right after BOS (left to right), as a plain predictor (a pure function of ``x``).

    Examples
    --------
    >>> p = oracle(encode_bits([1, 1, 0]))
    >>> p.remask.astype(int).tolist()
    [0, 1, 1, 0, 0]
    """
    x = np.asarray(x, dtype=np.int64)
    n = x.shape[0]
    remask = np.zeros(n, dtype=bool)
    delete = np.zeros(n, dtype=bool)
    _pair_rule(x[1:3].tolist(), 1, remask, delete)
    return Prediction(y=x.copy(), remask=remask, insert=np.zeros(n, dtype=bool), delete=delete)


def pairwise_oracle(x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
    """The paper's rule on every aligned pair ``(1, 2), (3, 4), ...`` at once (a pure function of ``x``).

    EOS and BOS are not bits: they never change, and a bit paired with EOS is alone in its pair.

    Examples
    --------
    >>> p = pairwise_oracle(encode_bits([1, 1, 0, 1, 0]))
    >>> p.remask.astype(int).tolist()
    [0, 1, 1, 1, 0, 1, 0]

    Notes
    -----
    ``O(L)``.  The schedule the length-2 parity model follows (PAPER.md §3.2; the schedule is powergen's [I]).
    """
    x = np.asarray(x, dtype=np.int64)
    n = x.shape[0]
    remask = np.zeros(n, dtype=bool)
    delete = np.zeros(n, dtype=bool)
    xs = x.tolist()
    for left in range(1, n, 2):
        _pair_rule(xs[left:left + 2], left, remask, delete)
    return Prediction(y=x.copy(), remask=remask, insert=np.zeros(n, dtype=bool), delete=delete)


def pairwise_step_bound(n: int) -> int:
    """The most steps :func:`pairwise_oracle` takes on ``n`` bits: 0 for ``n = 0``, 2 for ``n <= 2``, else 4.

    Round one leaves only ``1``s (one per ``01``/``10`` pair, plus a last lone ``1``); round two removes them in
    pairs, leaving at most one ``1``; two steps per round, and one round suffices for one pair.

    Examples
    --------
    >>> [pairwise_step_bound(n) for n in (0, 1, 2, 3, 10_000)]
    [0, 2, 2, 4, 4]

    Notes
    -----
    ``O(1)``; reached for every ``n`` (checked exhaustively to 10 bits in the tests).
    """
    return 0 if n == 0 else 2 if n <= 2 else 4


def trajectory(x0: np.ndarray, predictor=oracle, *, max_steps: int = 1_000_000,  # noqa: ANN001
               include_fixed_point: bool = False) -> list[Transition]:
    """The transitions of ``predictor`` from ``x0`` to its fixed point, each checked with ``g``.

    With ``include_fixed_point`` the last transition is the halting one, ``x -> x`` (all controls 0): it teaches a
    model where to stop.  The paper's seven transitions do not include it.
    """
    x = np.asarray(x0, dtype=np.int64)
    out: list[Transition] = []
    for _ in range(max_steps):
        p = predictor(x, None)
        nxt = apply_g(x, p.y, p.remask, p.insert, p.delete, mask_id=MASK)
        if np.array_equal(nxt, x):
            if include_fixed_point:
                out.append(Transition(x=x, y=x.copy(), remask=np.zeros_like(x), insert=np.zeros_like(x),
                                      delete=np.zeros_like(x), x_next=x.copy()))
            return out
        out.append(Transition(x=x, y=p.y, remask=p.remask.astype(np.int64), insert=p.insert.astype(np.int64),
                              delete=p.delete.astype(np.int64), x_next=nxt))
        x = nxt
    raise InvalidInstance(f"no fixed point within {max_steps} steps")


def _unique(transitions: list[Transition]) -> list[Transition]:
    seen: dict[tuple[int, ...], Transition] = {}
    for t in transitions:
        seen.setdefault(tuple(t.x.tolist()), t)
    return list(seen.values())


def random_instances(length: int, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` random inputs ``[BOS] bits [EOS]`` of ``length`` bits and their expected final states.

    Examples
    --------
    >>> [(x.tolist(), f.tolist()) for x, f in random_instances(2, 1, np.random.default_rng(0))] == [
    ...     (encode_bits([b0, b1]).tolist(), expected_final([b0, b1]).tolist())
    ...     for b0, b1 in [np.random.default_rng(0).integers(0, 2, size=2).tolist()]]
    True
    """
    out = []
    for _ in range(count):
        bits = rng.integers(0, 2, size=length)
        out.append((encode_bits(bits), expected_final(bits)))
    return out


def paper_transitions() -> list[Transition]:
    """The paper's seven transitions: the oracle's steps on the four inputs ``[BOS] b1 b2`` (no EOS), deduplicated."""
    runs = [trajectory(encode_bits([a, b], eos=False)) for a in (0, 1) for b in (0, 1)]
    return _unique([t for run in runs for t in run])


def length2_transitions() -> list[Transition]:
    """The oracle's steps on the four inputs ``[BOS] b1 b2 [EOS]`` with their halting steps, deduplicated (9).

    The same seven moves as :func:`paper_transitions` with EOS at the end, plus ``[BOS] 1 [EOS]`` and
    ``[BOS] [EOS]`` mapped to themselves; still length 2 only, but in the format the model is evaluated on.

    Examples
    --------
    >>> [" ".join(VOCAB.decode(t.x)) for t in length2_transitions() if t.x.tolist() == t.x_next.tolist()]
    ['[BOS] [EOS]', '[BOS] 1 [EOS]']
    """
    runs = [trajectory(encode_bits([a, b]), include_fixed_point=True) for a in (0, 1) for b in (0, 1)]
    return _unique([t for run in runs for t in run])


class ParityTask:
    """The paper's parity transitions (§3.2) on length-2 inputs as a training task; ``powergen train parity``.

    The model (204 parameters; the paper says "about 200") attends within aligned pairs (``block=2``) and has no
    other positional signal, so it applies what it learned on the one training pair to every pair of a long input
    (:func:`pairwise_oracle`); see the module docstring for why, and for the data.

    Examples
    --------
    >>> task = ParityTask()
    >>> len(task.transitions(seed=0)), task.model_config().block
    (9, 2)
    """

    name = "parity"
    vocab = VOCAB
    description = "parity, the paper's 7 moves on length-2 inputs with EOS + 2 halting steps; any length at test"
    default_lengths = (100, 1000)
    default_count = 200
    oracle = staticmethod(oracle)

    def transitions(self, *, seed: int = 0) -> list[Transition]:
        return length2_transitions()

    def model_config(self) -> ModelConfig:
        # 204 parameters: d 4, one head, one layer, MLP 4, attention inside aligned pairs, no positional encoding
        return ModelConfig(vocab_size=VOCAB.size, mask_id=MASK, d_model=4, n_heads=1, n_layers=1, d_mlp=4, block=2)

    def train_config(self) -> TrainConfig:
        return TrainConfig(steps=400, batch_size=64, lr=1e-2, warmup=20, weight_decay=0.0, log_every=10)

    def instances(self, length: int, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        return random_instances(length, count, rng)

    def max_steps(self, length: int) -> int:
        return 2 * length + 10


class ParitySevenTask(ParityTask):
    """The same model trained on exactly the paper's seven transitions (no EOS, no halting step); ``parity-seven``.

    EOS never occurs in this data, so what the model does next to it at test is left to chance (see
    ``docs/experiment_parity.md`` for the measured share of seeds that generalise).

    Examples
    --------
    >>> len(ParitySevenTask().transitions(seed=0))
    7
    """

    name = "parity-seven"
    description = "parity, exactly the paper's seven transitions (no EOS); any length at test (PAPER.md §3.2)"

    def transitions(self, *, seed: int = 0) -> list[Transition]:
        return paper_transitions()
