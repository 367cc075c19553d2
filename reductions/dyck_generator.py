"""Theorem 5, the AP-MDM side: a stochastic AP-MDM whose outputs are exactly the two-sided Dyck-k words.

**This construction is the project's reconstruction** (PAPER.md §2, Theorem 5, marked [I]); the paper's own
construction is not available, and the sources say it uses "insert and remask".  Ours needs insert and unmask only.

The sequence is ``[BOS] w`` with ``w`` a Dyck word between rounds.  One round grows ``w`` by an adjacent cancelling
pair in three AP-MDM steps; the phase is read off the sequence alone (the predictor is a pure function of ``x``):

* **S0** (no mask): *grow* -- draw an anchor ``i`` uniformly in ``0..|w|`` (position ``i`` of ``x``; ``0`` is BOS)
  and set ``insert[i]``; or *stop* -- return all-zero controls, so the step is a fixed point and the run halts.
  With a target ``length`` the generator grows while ``|w| < length`` and stops at ``|w| == length``; without one
  (the theorem's form: one machine for the whole language) it stops with probability ``stop`` (a fraction) and
  always at ``|w| >= cap``.
* **S1** (one mask, an even number of letters): unmask the mask to a letter ``l`` drawn uniformly from the ``2k``
  letters **and** set ``insert`` on it in the same step (insert + unmask at one position, Algorithm 1).
* **S2** (one mask, an odd number of letters): unmask the mask to the inverse of its left neighbour (which is the
  ``l`` of S1).  Between rounds the letter count is even, so the parity tells S1 from S2.

Soundness: inserting ``l l^-1`` anywhere keeps a word in the language.  Completeness: every non-empty Dyck word has
an adjacent cancelling pair, whose removal leaves a shorter Dyck word, so every word of length ``2m`` is reached in
``m`` rounds.  Both are checked exhaustively by :func:`reachable_outputs`, which enumerates the machine's reachable
halting sequences from the predictor's reported support and the transition ``g`` itself.

A run to a word of length ``n`` takes exactly ``3n/2`` steps (the final fixed-point step is not counted).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from machines.paradigms import APMDM
from machines.predictor import Prediction
from machines.transition import apply_g_reference
from machines.vocab import Vocabulary, simple_vocabulary
from pram.rng import SeedLike, as_generator
from reductions.dyck_two_sided import Word, check_k, letters
from reductions.errors import InvalidInstance

__all__ = ["DyckGenerator", "SupportSummary", "dyck_vocabulary", "generate", "make_machine", "reachable_outputs",
           "sample_word", "start_sequence", "tokens_to_word", "word_to_tokens"]

_FIRST_LETTER_ID = 3  # [MASK]=0, [BOS]=1, [EOS]=2, then 1, -1, 2, -2, ...


def dyck_vocabulary(k: int) -> Vocabulary:
    """``[MASK] [BOS] [EOS]`` then the letters named ``"1", "-1", "2", "-2", ...``.

    Examples
    --------
    >>> dyck_vocabulary(2).tokens
    ('[MASK]', '[BOS]', '[EOS]', '1', '-1', '2', '-2')
    """
    return simple_vocabulary([str(s) for s in letters(k)], bos=True, eos=True)


def word_to_tokens(word: Word) -> list[int]:
    """Token ids of a word (no BOS).

    Examples
    --------
    >>> word_to_tokens((1, -1, -2))
    [3, 4, 6]
    """
    return [_FIRST_LETTER_ID + 2 * (abs(s) - 1) + (s < 0) for s in word]


def tokens_to_word(ids: np.ndarray | list[int]) -> Word:
    """Inverse of :func:`word_to_tokens`; special tokens are dropped."""
    out = []
    for t in np.asarray(ids, dtype=np.int64).tolist():
        if t >= _FIRST_LETTER_ID:
            d = t - _FIRST_LETTER_ID
            out.append(d // 2 + 1 if d % 2 == 0 else -(d // 2 + 1))
    return tuple(out)


def start_sequence() -> np.ndarray:
    """``x_0 = [BOS]``."""
    return np.array([1], dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class DyckGenerator:
    """The stochastic predictor of the construction (see the module docstring).

    Parameters
    ----------
    k : number of letter pairs (>= 1; the theorem is about k >= 2)
    length : target length (even, >= 0), or ``None`` for the free form that stops with probability ``stop``
    stop : stop probability of the free form, a fraction in (0, 1)
    cap : the free form always stops once ``|w| >= cap``

    Examples
    --------
    >>> gen = DyckGenerator(k=2, length=2)
    >>> [len(gen.support(x)) for x in ([1], [1, 0], [1, 5, 0])]  # S0: 1 anchor; S1: 4 letters; S2: forced
    [1, 4, 1]
    """

    k: int
    length: int | None = None
    stop: Fraction = Fraction(1, 4)
    cap: int = 1024

    def __post_init__(self) -> None:
        check_k(self.k)
        problems = []
        if self.length is not None and (isinstance(self.length, bool) or not isinstance(self.length, int)
                                        or self.length < 0):
            problems.append(f"length must be a non-negative integer, got {self.length!r}")
        elif self.length is not None and self.length % 2:
            problems.append(f"two-sided Dyck words have even length; no word of length {self.length} exists")
        if not 0 < Fraction(self.stop) < 1:
            problems.append(f"stop must be a fraction strictly between 0 and 1, got {self.stop}")
        if self.cap < 0:
            problems.append(f"cap must be >= 0, got {self.cap}")
        if problems:
            raise InvalidInstance("invalid Dyck generator: " + "; ".join(problems))
        object.__setattr__(self, "stop", Fraction(self.stop))

    # -- phase analysis (a pure function of x) ------------------------------------------------------------------
    def _phase(self, x: list[int]) -> tuple[str, int]:
        """``("S0", |w|)``, ``("S1", mask position)`` or ``("S2", mask position)``; raises on a foreign state."""
        n = len(x)
        top = _FIRST_LETTER_ID + 2 * self.k
        masks = x.count(0)
        if n == 0 or x[0] != 1 or masks > 1 or not all(t == 0 or _FIRST_LETTER_ID <= t < top for t in x[1:]):
            raise InvalidInstance(f"not a state of the Dyck generator: {x}")
        if masks == 0:
            return "S0", n - 1
        where = x.index(0)
        if (n - 2) % 2 == 0:
            return "S1", where
        if where < 2:
            raise InvalidInstance(f"not a state of the Dyck generator (a mask to pair with BOS): {x}")
        return "S2", where

    def _stops(self, n: int) -> Fraction:
        """Probability of stopping at content length ``n`` (S0)."""
        if self.length is not None:
            if n > self.length:
                raise InvalidInstance(f"state longer ({n}) than the target length {self.length}")
            return Fraction(1) if n == self.length else Fraction(0)
        return Fraction(1) if n >= self.cap else self.stop

    @staticmethod
    def _prediction(x: list[int], phase: str, where: int, choice: int) -> Prediction:
        y = list(x)
        insert = [0] * len(x)
        if phase == "S0":
            if choice >= 0:
                insert[choice] = 1
        elif phase == "S1":
            y[where] = _FIRST_LETTER_ID + choice
            insert[where] = 1
        else:
            y[where] = _FIRST_LETTER_ID + ((x[where - 1] - _FIRST_LETTER_ID) ^ 1)
        return Prediction(y=np.array(y, dtype=np.int64), insert=np.array(insert, dtype=np.int64))

    # -- the predictor ------------------------------------------------------------------------------------------
    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        """Sample one prediction (S0: stop draw then anchor draw; S1: letter draw; S2: no draw)."""
        xs = np.asarray(x, dtype=np.int64).tolist()
        phase, where = self._phase(xs)
        choice = 0
        if phase == "S0":
            p = self._stops(where)
            if p == 1 or (p > 0 and int(rng.integers(0, p.denominator)) < p.numerator):
                choice = -1
            else:
                choice = int(rng.integers(0, where + 1))
        elif phase == "S1":
            choice = int(rng.integers(0, 2 * self.k))
        return self._prediction(xs, phase, where, choice)

    def support(self, x: np.ndarray | list[int] | tuple[int, ...]) -> list[tuple[Prediction, Fraction]]:
        """Every prediction the sampler can return on ``x``, with its exact probability (they sum to 1)."""
        xs = np.asarray(x, dtype=np.int64).tolist() if isinstance(x, np.ndarray) else [int(t) for t in x]
        phase, where = self._phase(xs)
        if phase == "S0":
            p = self._stops(where)
            out = [(self._prediction(xs, phase, where, -1), p)] if p > 0 else []
            if p < 1:
                each = (1 - p) / (where + 1)
                out += [(self._prediction(xs, phase, where, i), each) for i in range(where + 1)]
            return out
        if phase == "S1":
            each = Fraction(1, 2 * self.k)
            return [(self._prediction(xs, phase, where, c), each) for c in range(2 * self.k)]
        return [(self._prediction(xs, phase, where, 0), Fraction(1))]


def make_machine(k: int, length: int | None = None, *, stop: Fraction = Fraction(1, 4), cap: int = 1024) -> APMDM:
    """The AP-MDM of the construction (``halt_on_eos`` is irrelevant: it halts at a fixed point)."""
    gen = DyckGenerator(k=k, length=length, stop=stop, cap=cap)
    steps = 3 * (length if length is not None else cap) // 2 + 3
    return APMDM(vocab=dyck_vocabulary(k), predictor=gen, max_steps=steps, max_length=(length or cap) + 3)


def generate(k: int, length: int | None, seed: SeedLike = 0) -> tuple[Word, int]:
    """Run the AP-MDM (``machines.paradigms.APMDM``) and return ``(word, steps)``.

    Examples
    --------
    >>> from reductions.dyck_two_sided import is_dyck
    >>> w, steps = generate(2, 8, seed=1)
    >>> len(w), is_dyck(w), steps
    (8, True, 12)

    Notes
    -----
    ``3n/2`` steps of O(n) each.  Theorem 5.
    """
    res = make_machine(k, length).run(start_sequence(), seed=seed)
    if res.halt_reason != "fixed-point":
        raise InvalidInstance(f"the generator halted with {res.halt_reason!r}, expected a fixed point")
    return tokens_to_word(res.final), res.counters.steps


def sample_word(k: int, length: int, seed: SeedLike = 0) -> Word:
    """Fast path of :func:`generate` for a target length: the same process and the same draws, without a machine.

    The draws of one run are ``anchor_0, letter_0, anchor_1, letter_1, ...`` with bounds ``1, 2k, 3, 2k, 5, ...``;
    they are taken in one vectorised call (numpy gives the same stream as scalar calls; a test pins this).

    Examples
    --------
    >>> sample_word(2, 8, seed=1) == generate(2, 8, seed=1)[0]
    True

    Notes
    -----
    O(n^2) list work for n/2 inserts, one RNG call.  Theorem 5 (the 10,000-sample check).
    """
    gen = DyckGenerator(k=k, length=length)
    rounds = length // 2
    if rounds == 0:
        return ()
    highs = np.empty(2 * rounds, dtype=np.int64)
    highs[0::2] = 2 * np.arange(rounds) + 1
    highs[1::2] = 2 * gen.k
    draws = as_generator(seed).integers(0, highs).tolist()
    table = letters(gen.k)
    w: list[int] = []
    for r in range(rounds):
        anchor, letter = draws[2 * r], table[draws[2 * r + 1]]
        w[anchor:anchor] = (letter, -letter)
    return tuple(w)


@dataclass(frozen=True, slots=True)
class SupportSummary:
    """Result of :func:`reachable_outputs`: outputs by length, and how many states/transitions were explored."""

    outputs: dict[int, list[Word]]
    states: int
    transitions: int


def reachable_outputs(gen: DyckGenerator, max_length: int) -> SupportSummary:
    """Every halting sequence the AP-MDM can reach with ``|w| <= max_length``, grouped by length.

    Breadth-first search over machine states from ``[BOS]``: the successors of ``x`` are
    ``g(x, prediction)`` for every prediction in ``gen.support(x)`` (probability > 0), computed with the plain
    reference ``g`` (:func:`machines.transition.apply_g_reference`); a state is an output when one of its
    predictions leaves it unchanged (the fixed point where the machine halts).  States whose content exceeds
    ``max_length`` are cut (content never shrinks).  Only mask-free states are remembered for de-duplication (a
    state with a mask has a single predecessor; were that wrong, the search would only repeat work).

    Examples
    --------
    >>> s = reachable_outputs(DyckGenerator(k=2), 4)
    >>> [len(s.outputs[n]) for n in (0, 2, 4)]
    [1, 4, 28]

    Notes
    -----
    Work proportional to the number of (state, prediction) pairs: about ``N (2k) |D_{N-2}|`` at the last round.
    """
    start = tuple(start_sequence().tolist())
    seen: dict[tuple[int, ...], None] = {start: None}
    queue: deque[tuple[int, ...]] = deque([start])
    found: dict[int, dict[Word, None]] = {}
    transitions = 0
    states = 1
    while queue:
        x = queue.popleft()
        for pred, _ in gen.support(x):  # support() lists only predictions of positive probability
            transitions += 1
            nxt = tuple(apply_g_reference(x, pred.y.tolist(), None, pred.insert.tolist() if pred.insert is not None
                                          else None, None, mask_id=0))
            if nxt == x:
                w = tokens_to_word(list(x))
                found.setdefault(len(w), {})[w] = None
            elif len(nxt) - 1 <= max_length and nxt not in seen:
                if 0 not in nxt:  # only mask-free states can be reached twice; remember just those
                    seen[nxt] = None
                states += 1
                queue.append(nxt)
    outputs = {n: sorted(ws, key=_canonical_key) for n, ws in sorted(found.items())}
    return SupportSummary(outputs=outputs, states=states, transitions=transitions)


def _canonical_key(w: Word) -> tuple[int, ...]:
    return tuple(2 * (abs(s) - 1) + (s < 0) for s in w)
