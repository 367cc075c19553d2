"""Theorem 5 (a), run: ARMs of :mod:`reductions.dyck_arm` as ``machines.paradigms.ARM`` samplers, and the EOS
reduction checked exhaustively on every word up to a length.

The reduction itself is the project's reconstruction of the paper's argument (PAPER.md §2, Theorem 5, [I]): an ARM
whose support is exactly two-sided Dyck-k yields a recogniser through its end-of-sequence decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from machines.paradigms import ARM
from machines.predictor import Prediction
from pram.rng import SeedLike
from reductions.dyck_arm import (
    EOS,
    PrefixLanguage,
    SupportARM,
    arm_language,
    eos_recogniser,
    first_failures,
    reduction_witness,
    verify_witness,
)
from reductions.dyck_generator import dyck_vocabulary, tokens_to_word, word_to_tokens
from reductions.dyck_two_sided import Word
from reductions.errors import InvalidInstance

__all__ = ["ARMSampler", "ReductionCheck", "reduction_check", "sample_arm"]

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


@dataclass(frozen=True, slots=True)
class ReductionCheck:
    """Reduction (a) on one ARM, all words up to ``max_length``.

    ``errors``: words on which the EOS recogniser disagrees with membership; ``verified``: how many of them yielded a
    witness that :func:`~reductions.dyck_arm.verify_witness` confirmed; ``exact``: the support search found no
    failure on the prefixes up to ``max_length`` (every letter allowed, EOS exactly on members; a forbidden letter
    counts through its shortest missed completion, of length at most ``2 * max_length + 2``).  The reduction holds
    on this ARM iff ``verified == errors`` and (``exact`` implies ``errors == 0``).
    """

    arm: str
    max_length: int
    words: int
    errors: int
    verified: int
    exact: bool

    @property
    def ok(self) -> bool:
        return self.verified == self.errors and (not self.exact or self.errors == 0)


def reduction_check(arm: SupportARM, max_length: int, *, language: PrefixLanguage | None = None) -> ReductionCheck:
    """Run the EOS recogniser of ``arm`` on every word of length ``<= max_length`` and check every error's witness.

    Examples
    --------
    >>> from reductions.dyck_arm import StackARM, GreedyWindowARM
    >>> reduction_check(StackARM(k=2), 4).errors, reduction_check(GreedyWindowARM(k=2, w=2), 4).ok
    (0, True)

    Notes
    -----
    ``sum_n (2k)^n`` recogniser calls.  Theorem 5 (a).  The words, membership and the witnesses' completions come
    from ``language`` (:func:`~reductions.dyck_arm.arm_language`), handed on to the witness and search functions.
    """
    lang = arm_language(arm, language)
    rec = eos_recogniser(arm)
    words = errors = verified = 0
    for n in range(max_length + 1):
        for word in product(lang.letters, repeat=n):
            words += 1
            if rec(word) == lang.contains(word):
                continue
            errors += 1
            witness = reduction_witness(arm, word, language=lang)
            verified += witness is not None and verify_witness(arm, witness, language=lang)
    exact = first_failures(arm, max_length, witness_length=2 * max_length + 2, language=lang).exact
    return ReductionCheck(arm=arm.name, max_length=max_length, words=words, errors=errors, verified=verified,
                          exact=exact)
