"""Theorem 5, run on the machine: ARMs of :mod:`reductions.dyck_arm` as ``machines.paradigms.ARM`` samplers.

The ARMs and the EOS reduction checked on them (:func:`reductions.dyck_arm.reduction_check`) are the project's
reconstruction of the paper's argument (PAPER.md §2, Theorem 5, [I]); this module only runs an ARM on the ``ARM``
machine of :mod:`machines.paradigms`, through the token layout of :mod:`reductions.dyck_generator`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from machines.paradigms import ARM
from machines.predictor import Prediction
from pram.rng import SeedLike
from reductions.dyck_arm import EOS, SupportARM
from reductions.dyck_generator import dyck_vocabulary, tokens_to_word, word_to_tokens
from reductions.dyck_two_sided import Word
from reductions.errors import InvalidInstance

__all__ = ["ARMSampler", "sample_arm"]

_EOS_ID = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class ARMSampler:
    """A ``machines`` ARM predictor drawing the next symbol uniformly from ``arm.next_support(prefix)``.

    A pure function of the sequence (``[BOS]`` then letters) and ``rng``; past ``max_len`` letters it declares the
    run finished (``halt=True``, the sample is then truncated, not emitted).
    """

    arm: SupportARM
    max_len: int = 64

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        prefix = tokens_to_word(x)
        if len(prefix) >= self.max_len:
            return Prediction(y=np.asarray(x, dtype=np.int64).copy(), halt=True)
        sup = self.arm.next_support(prefix)
        if not sup:
            raise InvalidInstance(f"{self.arm.name}: empty next-symbol support after {prefix}")
        pick = sup[int(rng.integers(0, len(sup)))]
        token = _EOS_ID if pick == EOS else word_to_tokens((pick,))[0]
        return Prediction(y=np.full(len(x), token, dtype=np.int64))


def sample_arm(arm: SupportARM, seed: SeedLike = 0, max_len: int = 64) -> tuple[Word, bool]:
    """Run the ARM as a ``machines.paradigms.ARM``; returns ``(word, emitted)`` (``emitted``: it ended with EOS).

    Examples
    --------
    >>> from reductions.dyck_arm import StackARM
    >>> from reductions.dyck_two_sided import is_dyck
    >>> w, emitted = sample_arm(StackARM(k=2), seed=3)
    >>> (not emitted) or is_dyck(w)
    True
    """
    machine = ARM(vocab=dyck_vocabulary(arm.k), predictor=ARMSampler(arm=arm, max_len=max_len),
                  max_steps=max_len + 2)
    res = machine.run(np.array([1], dtype=np.int64), seed=seed)
    return tokens_to_word(res.final), bool(res.final[-1] == _EOS_ID)
