"""Parity in O(log n) AP-MDM steps: pairs eliminated everywhere at once.  **powergen's process, not the paper's.**

The paper's process (:mod:`reductions.tasks.parity`) consumes one or two bits per two steps, ``Theta(n)`` steps.
This one is a balanced XOR tree.  Positions are ``0 .. L-1`` with BOS at 0; the positions ``1, 2`` form a pair,
``3, 4`` the next, and so on: an odd position is the *left* of its pair, its partner is ``i + 1``; an even one is
the *right*, its partner is ``i - 1``.  Every position applies the same local rule at every step:

* remask phase (a bit whose partner is a bit): ``00 -> M0``, ``01 -> M1``, ``10 -> 1M``, ``11 -> MM`` (the left bit
  is remasked unless the pair is ``10``; the right bit is remasked iff the left bit is ``1``); a left bit whose
  partner is EOS (an unpaired last bit) is remasked iff it is ``0``;
* delete phase (a MASK): a left MASK is deleted; a right MASK is unmasked to ``0`` if its partner is a MASK
  (the pair was ``11``) and deleted otherwise; a bit whose partner is a MASK does nothing;
* BOS and EOS never change.

After a remask step every pair holds a MASK, so the next step is a delete step, which leaves exactly one token per
pair, their XOR.  The survivors are re-paired by their **new** positions: positions are re-encoded after the
deletions (PAPER.md §1.6) and the process relies on it.  ``m`` bits become ``ceil(m / 2)`` per round of two steps,
and a last ``0`` is removed in two more, so the run ends at ``[BOS] [EOS]`` (even) or ``[BOS] 1 [EOS]`` (odd) after
at most ``2 * ceil(log2 n) + 2`` steps, and at least ``2 * floor(log2 n)`` (an unpaired last ``0`` is dropped,
so a round can leave ``floor(m / 2)`` tokens): ``Theta(log n)``.

A learned model needs the parity of its own position: :meth:`ParityParallelTask.model_config` gives it a
one-layer model with a local window of radius 1, BOS as a key visible from every position, and in each of its two
heads one rotary pair turning by ``pi`` per position (the other pair is not rotated), so the BOS score carries
``(-1)^i``.  Its output at a position is a function of
(window tokens, first token, parity of the position): every such context occurs at the short training lengths, so
the rule learned there is the rule at every length (checked exhaustively in the tests).
"""

from __future__ import annotations

import numpy as np

from machines.neural.config import ModelConfig, TrainConfig, parity_rotary
from machines.predictor import Prediction, Transition
from reductions.tasks.parity import (
    MASK,
    ONE,
    VOCAB,
    ZERO,
    encode_bits,
    random_instances,
    trajectory,
)

__all__ = ["ParityParallelTask", "parallel_oracle", "step_bound", "training_transitions"]


def parallel_oracle(x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
    """The pairwise rule at every position at once (a pure function of ``x``).

    Examples
    --------
    >>> from reductions.tasks.parity import encode_bits
    >>> p = parallel_oracle(encode_bits([1, 1, 1, 0, 0]))
    >>> p.remask.astype(int).tolist()
    [0, 1, 1, 0, 1, 1, 0]
    """
    x = np.asarray(x, dtype=np.int64)
    n = x.shape[0]
    y = x.copy()
    remask = np.zeros(n, dtype=bool)
    delete = np.zeros(n, dtype=bool)
    for i in range(1, n):
        t = int(x[i])
        if t not in (ZERO, ONE, MASK):
            continue
        left = i % 2 == 1
        j = i + 1 if left else i - 1
        p = int(x[j]) if j < n else -1
        if t == MASK:
            if not left and p == MASK:
                y[i] = ZERO
            else:
                delete[i] = True
        elif p == MASK:
            continue
        elif p in (ZERO, ONE):
            remask[i] = not (t == ONE and p == ZERO) if left else p == ONE
        elif left:
            remask[i] = t == ZERO
    return Prediction(y=y, remask=remask, insert=np.zeros(n, dtype=bool), delete=delete)


def step_bound(n: int) -> int:
    """``2 * ceil(log2 n) + 2`` (and 2 for ``n <= 1``): the most steps the process takes on ``n`` bits.

    Examples
    --------
    >>> [step_bound(n) for n in (1, 2, 3, 4, 1000)]
    [2, 4, 6, 6, 22]
    """
    return 2 * max(int(n - 1).bit_length(), 0) + 2


def training_transitions(max_bits: int) -> list[Transition]:
    """Every distinct transition of the process on every input of 0..``max_bits`` bits (with EOS), including the
    halting transition ``x -> x`` at the end of each run (so that the model learns where to stop)."""
    seen: dict[tuple[int, ...], Transition] = {}
    for n in range(0, max_bits + 1):
        for k in range(2**n):
            bits = [(k >> j) & 1 for j in range(n)]
            for t in trajectory(encode_bits(bits), parallel_oracle, include_fixed_point=True):
                seen.setdefault(tuple(t.x.tolist()), t)
    return [seen[key] for key in sorted(seen)]


class ParityParallelTask:
    """powergen's O(log n) parity process as a training task; ``powergen train parity-parallel``.

    Examples
    --------
    >>> task = ParityParallelTask()
    >>> len(task.transitions(seed=0)) > 100, task.model_config().global_first
    (True, True)
    """

    name = "parity-parallel"
    vocab = VOCAB
    description = "parity, powergen's parallel pairwise elimination in O(log n) steps; trained on <= 8 bits"
    default_lengths = (100, 1000)
    default_count = 200
    train_bits = 8
    oracle = staticmethod(parallel_oracle)

    def transitions(self, *, seed: int = 0) -> list[Transition]:
        return training_transitions(self.train_bits)

    def model_config(self) -> ModelConfig:
        return ModelConfig(vocab_size=VOCAB.size, mask_id=MASK, d_model=8, n_heads=2, n_layers=1, d_mlp=16,
                           window=1, rel_clip=2, global_first=True, rotary=parity_rotary(4))

    def train_config(self) -> TrainConfig:
        return TrainConfig(steps=600, batch_size=64, lr=1e-2, warmup=20, weight_decay=0.0, log_every=10)

    def instances(self, length: int, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        return random_instances(length, count, rng)

    def max_steps(self, length: int) -> int:
        return step_bound(length) + 4

