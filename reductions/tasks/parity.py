"""Parity as an AP-MDM process: the paper's left-to-right elimination (PAPER.md §3.2).

Sequences are ``[BOS] b_1 ... b_n [EOS]`` over the paper's vocabulary (BOS = 0, EOS = 1, MASK = 2, "0" = 3,
"1" = 4).  The oracle looks at the two positions right after BOS:

* if either holds a MASK, those masks are deleted;
* otherwise every ``0`` among them is remasked, and a ``1 1`` pair is remasked;
* otherwise (one ``1`` before EOS, or nothing left) nothing changes: a fixed point.

Each round consumes one or two bits in two steps and keeps the parity, so the run ends at ``[BOS] [EOS]`` (even) or
``[BOS] 1 [EOS]`` (odd) after at most ``2n`` steps.  Run on the four length-2 inputs ``[BOS] b1 b2`` (no EOS, as
the paper's generator) the oracle produces exactly the paper's seven training transitions
(:func:`paper_transitions`); the learned model is trained on those only and evaluated from ``[BOS] bits [EOS]``.
Keeping EOS in the final state is powergen's choice (the paper's ``expected_final`` omits it, PAPER.md §3.2).
"""

from __future__ import annotations

import numpy as np

from machines.neural.config import ModelConfig, TrainConfig
from machines.predictor import Prediction, Transition
from machines.transition import apply_g
from machines.vocab import Vocabulary
from reductions.errors import InvalidInstance

__all__ = ["VOCAB", "BOS", "EOS", "MASK", "ZERO", "ONE", "ParityTask", "oracle", "encode_bits", "expected_final",
           "trajectory", "paper_transitions"]

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


def oracle(x: np.ndarray, rng: np.random.Generator | None = None) -> Prediction:
    """The paper's elimination rule as a plain predictor (a pure function of ``x``).

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
    front = [i for i in (1, 2) if i < n]
    if any(x[i] == MASK for i in front):
        for i in front:
            delete[i] = x[i] == MASK
    else:
        bits = [i for i in front if x[i] in (ZERO, ONE)]
        if len(bits) == 2 and all(x[i] == ONE for i in bits):
            remask[bits] = True
        for i in bits:
            remask[i] |= bool(x[i] == ZERO)
    return Prediction(y=x.copy(), remask=remask, insert=np.zeros(n, dtype=bool), delete=delete)


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


class ParityTask:
    """The paper's parity process (§3.2) as a training task; ``powergen train parity``.

    Examples
    --------
    >>> task = ParityTask()
    >>> len(task.transitions(seed=0)), task.model_config().window
    (7, 2)
    """

    name = "parity"
    vocab = VOCAB
    description = "parity, the paper's left-to-right elimination; trained on length 2 (PAPER.md §3.2)"
    default_lengths = (100, 1000)
    default_count = 200
    oracle = staticmethod(oracle)

    def transitions(self, *, seed: int = 0) -> list[Transition]:
        return paper_transitions()

    def model_config(self) -> ModelConfig:
        # 245 parameters (the paper: "about 200"); a local window of radius 2 reaches both bits after BOS
        return ModelConfig(vocab_size=VOCAB.size, mask_id=MASK, d_model=4, n_heads=1, n_layers=1, d_mlp=8,
                           window=2, rel_clip=2)

    def train_config(self) -> TrainConfig:
        return TrainConfig(steps=400, batch_size=64, lr=1e-2, warmup=20, weight_decay=0.0, log_every=10)

    def instances(self, length: int, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        return random_instances(length, count, rng)

    def max_steps(self, length: int) -> int:
        return 2 * length + 10
