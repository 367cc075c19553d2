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
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from machines.paradigms import APMDM
from machines.predictor import Prediction
from machines.transition import apply_g, apply_g_reference
from machines.vocab import Vocabulary, simple_vocabulary
from pram.rng import SeedLike, as_generator
from reductions.dyck_two_sided import Word, letters
from reductions.errors import InvalidInstance

__all__ = ["DyckGenerator", "SupportBatch", "SupportSummary", "dyck_vocabulary", "generate", "make_machine",
           "reachable_outputs", "reachable_outputs_reference", "sample_word", "start_sequence", "tokens_to_word",
           "word_to_tokens"]

_FIRST_LETTER_ID = 3  # [MASK]=0, [BOS]=1, [EOS]=2, then 1, -1, 2, -2, ...


def dyck_vocabulary(k: int) -> Vocabulary:
    """``[MASK] [BOS] [EOS]`` then the letters named ``"1", "-1", "2", "-2", ...``.

    Examples
    --------
    >>> dyck_vocabulary(2).tokens
    ('[MASK]', '[BOS]', '[EOS]', '1', '-1', '2', '-2')
    """
    return _vocabulary(letters(k))


def _vocabulary(alphabet: Word) -> Vocabulary:
    """The vocabulary of an alphabet already validated (a generator's ``letters``)."""
    return simple_vocabulary([str(s) for s in alphabet], bos=True, eos=True)


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

    The alphabet (``letters``, canonical order) is taken from the language once, at construction, and held: the
    machine's vocabulary and the fast sampler read it from the generator instead of asking the language again.

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
    letters: Word = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "letters", letters(self.k))  # validates k; the alphabet is held, not re-asked
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
        if n == 0 or x[0] != 1 or masks > 1 or not set(x[1:]) <= {0, *range(_FIRST_LETTER_ID, top)}:
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
    def _prediction(xa: np.ndarray, phase: str, where: int, choice: int) -> Prediction:
        """The prediction of ``choice`` in ``phase`` at ``where`` on the int64 sequence ``xa`` (S0: insert an
        anchor at ``choice``, or stop when ``choice < 0``; S1: write letter ``choice`` and insert after it; S2:
        write the inverse of the letter before ``where``)."""
        y = xa.copy()
        insert = np.zeros(xa.shape[0], dtype=np.bool_)  # bool: the machine takes it without a conversion pass
        if phase == "S0":
            if choice >= 0:
                insert[choice] = 1
        elif phase == "S1":
            y[where] = _FIRST_LETTER_ID + choice
            insert[where] = 1
        else:
            y[where] = _FIRST_LETTER_ID + ((int(xa[where - 1]) - _FIRST_LETTER_ID) ^ 1)
        return Prediction(y=y, insert=insert)

    # -- the predictor ------------------------------------------------------------------------------------------
    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Prediction:
        """Sample one prediction (S0: stop draw then anchor draw; S1: letter draw; S2: no draw)."""
        xa = np.asarray(x, dtype=np.int64)
        phase, where = self._phase(xa.tolist())
        choice = 0
        if phase == "S0":
            p = self._stops(where)
            if p == 1 or (p > 0 and int(rng.integers(0, p.denominator)) < p.numerator):
                choice = -1
            else:
                choice = int(rng.integers(0, where + 1))
        elif phase == "S1":
            choice = int(rng.integers(0, 2 * self.k))
        return self._prediction(xa, phase, where, choice)

    def support(self, x: np.ndarray | list[int] | tuple[int, ...]) -> list[tuple[Prediction, Fraction]]:
        """Every prediction the sampler can return on ``x``, with its exact probability (they sum to 1)."""
        xs = np.asarray(x, dtype=np.int64).tolist() if isinstance(x, np.ndarray) else [int(t) for t in x]
        phase, where = self._phase(xs)
        xa = np.asarray(xs, dtype=np.int64)
        if phase == "S0":
            p = self._stops(where)
            out = [(self._prediction(xa, phase, where, -1), p)] if p > 0 else []
            if p < 1:
                each = (1 - p) / (where + 1)
                out += [(self._prediction(xa, phase, where, i), each) for i in range(where + 1)]
            return out
        if phase == "S1":
            each = Fraction(1, 2 * self.k)
            return [(self._prediction(xa, phase, where, c), each) for c in range(2 * self.k)]
        return [(self._prediction(xa, phase, where, 0), Fraction(1))]

    def support_batch(self, xs: np.ndarray) -> SupportBatch:
        """:meth:`support` of every row of ``xs`` at once: the same predictions, in the same order, as arrays.

        Parameters
        ----------
        xs : (B, L) int array
            ``B`` states of one length ``L``.

        Returns
        -------
        SupportBatch
            Prediction ``j`` is the one :meth:`support` lists for row ``parent[j]``; rows' predictions are
            consecutive and in :meth:`support`'s order (probabilities are not materialised: all are positive).

        Examples
        --------
        >>> gen = DyckGenerator(k=2, length=2)
        >>> gen.support_batch(np.array([[1, 0], [1, 0]])).parent.tolist()  # S1: 2k letters per row
        [0, 0, 0, 0, 1, 1, 1, 1]

        Notes
        -----
        O(B L) per prediction row, in vectorised passes.  Serves :func:`reachable_outputs` (Theorem 5).
        """
        xa = np.asarray(xs, dtype=np.int64)
        if xa.ndim != 2:
            raise InvalidInstance(f"support_batch wants a (B, L) array of states, got shape {xa.shape}")
        b, n = xa.shape
        phase, where = self._phase_batch(xa)
        parts = []  # (parent rows, y, insert) per phase group, merged back into parent order below
        for code in (0, 1, 2):
            rows = np.flatnonzero(phase == code)
            if rows.size == 0:
                continue
            if code == 0:  # S0: stop (if p > 0), then one anchor per position 0..|w| (if p < 1)
                p = self._stops(n - 1)
                per = int(p > 0) + n * int(p < 1)
                choice = np.tile(np.arange(-1 if p > 0 else 0, n if p < 1 else 0), rows.size)
            elif code == 1:  # S1: 2k letters
                per = 2 * self.k
                choice = np.tile(np.arange(per), rows.size)
            else:
                per = 1
                choice = np.zeros(rows.size, dtype=np.int64)
            parent = np.repeat(rows, per)
            y = xa[parent]
            ins = np.zeros(y.shape, dtype=np.bool_)
            j = np.arange(parent.size)
            w = where[parent]
            if code == 0:
                grow = choice >= 0
                ins[j[grow], choice[grow]] = True
            elif code == 1:
                y[j, w] = _FIRST_LETTER_ID + choice
                ins[j, w] = True
            else:
                y[j, w] = _FIRST_LETTER_ID + ((y[j, w - 1] - _FIRST_LETTER_ID) ^ 1)
            parts.append((parent, y, ins))
        if not parts:
            return SupportBatch(parent=np.zeros(0, np.int64), y=np.zeros((0, n), np.int64),
                                insert=np.zeros((0, n), np.bool_))
        if len(parts) == 1:
            return SupportBatch(parent=parts[0][0], y=parts[0][1], insert=parts[0][2])
        parent = np.concatenate([q[0] for q in parts])
        order = np.argsort(parent, kind="stable")
        return SupportBatch(parent=parent[order], y=np.concatenate([q[1] for q in parts])[order],
                            insert=np.concatenate([q[2] for q in parts])[order])

    def _phase_batch(self, xa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: phase code (0 = S0, 1 = S1, 2 = S2) and mask position (0 when none); as :meth:`_phase`."""
        b, n = xa.shape
        if n == 0:
            raise InvalidInstance(f"not a state of the Dyck generator: {xa[0].tolist() if b else []}")
        top = _FIRST_LETTER_ID + 2 * self.k
        is_mask = xa == 0
        masks = is_mask.sum(axis=1)
        body = xa[:, 1:]
        foreign = (bool((xa[:, 0] != 1).any()) or bool((masks > 1).any())
                   or bool((~((body == 0) | ((body >= _FIRST_LETTER_ID) & (body < top)))).any()))
        if foreign:
            bad = next(i for i in range(b) if not self._is_state(xa[i].tolist()))
            raise InvalidInstance(f"not a state of the Dyck generator: {xa[bad].tolist()}")
        where = np.argmax(is_mask, axis=1)
        phase = np.where(masks == 0, 0, 1 if (n - 2) % 2 == 0 else 2)
        if bool(((phase == 2) & (where < 2)).any()):
            bad = int(np.argmax((phase == 2) & (where < 2)))
            raise InvalidInstance(f"not a state of the Dyck generator (a mask to pair with BOS): {xa[bad].tolist()}")
        return phase, where

    def _is_state(self, x: list[int]) -> bool:
        try:
            self._phase(x)
        except InvalidInstance:
            return False
        return True


def make_machine(k: int, length: int | None = None, *, stop: Fraction = Fraction(1, 4), cap: int = 1024) -> APMDM:
    """The AP-MDM of the construction (``halt_on_eos`` is irrelevant: it halts at a fixed point)."""
    gen = DyckGenerator(k=k, length=length, stop=stop, cap=cap)
    steps = 3 * (length if length is not None else cap) // 2 + 3
    return APMDM(vocab=_vocabulary(gen.letters), predictor=gen, max_steps=steps, max_length=(length or cap) + 3)


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
    table = gen.letters
    w: list[int] = []
    for r in range(rounds):
        anchor, letter = draws[2 * r], table[draws[2 * r + 1]]
        w[anchor:anchor] = (letter, -letter)
    return tuple(w)


@dataclass(frozen=True, slots=True)
class SupportBatch:
    """Predictions of :meth:`DyckGenerator.support_batch`: row ``j`` is a prediction for state ``parent[j]``."""

    parent: np.ndarray  # (M,) int64, non-decreasing
    y: np.ndarray  # (M, L) int64
    insert: np.ndarray  # (M, L) bool


@dataclass(frozen=True, slots=True)
class SupportSummary:
    """Result of :func:`reachable_outputs`: outputs by length, and how many states/transitions were explored."""

    outputs: dict[int, list[Word]]
    states: int
    transitions: int


#: Tokens per chunk of predictions handed to ``g`` at once (bounds the memory of one breadth-first level).
_CHUNK_TOKENS = 1 << 21


def reachable_outputs(gen: DyckGenerator, max_length: int) -> SupportSummary:
    """Every halting sequence the AP-MDM can reach with ``|w| <= max_length``, grouped by length.

    Breadth-first search over machine states from ``[BOS]``, one level (all states after the same number of
    steps) at a time: the successors of the states ``X`` of a level are ``g(x, prediction)`` for every prediction
    in ``gen.support_batch(X)`` (the rows of ``gen.support(x)``, all of positive probability), computed by the
    vectorised ``g`` (:func:`machines.transition.apply_g`) on the concatenation of the rows -- ``g`` acts
    position by position, so ``g`` of a concatenation is the concatenation of the ``g``'s.  A state is an output
    when one of its predictions leaves it unchanged (the fixed point where the machine halts).  States whose
    content exceeds ``max_length`` are cut (content never shrinks).  Only mask-free states are de-duplicated (a
    state with a mask has a single predecessor; were that wrong, the search would only repeat work).
    :func:`reachable_outputs_reference` is the plain one-state-at-a-time search with the reference ``g``; the two
    give the same summary (a test).

    Examples
    --------
    >>> s = reachable_outputs(DyckGenerator(k=2), 4)
    >>> [len(s.outputs[n]) for n in (0, 2, 4)]
    [1, 4, 28]

    Notes
    -----
    Work proportional to the number of (state, prediction) pairs: about ``N (2k) |D_{N-2}|`` at the last round,
    in numpy passes over chunks of about two million tokens.
    """
    seen: dict[int, np.ndarray] = {}  # content length -> sorted keys of the mask-free states met so far
    frontier: dict[int, np.ndarray] = {1: start_sequence()[None, :]}
    top = _FIRST_LETTER_ID + 2 * gen.k  # token ids are below this
    _remember(seen, frontier[1], top)
    found: dict[int, list[np.ndarray]] = {}
    transitions = 0
    states = 1
    while frontier:
        nxt_level: dict[int, list[np.ndarray]] = {}
        for length, level in sorted(frontier.items()):
            rows_per_chunk = max(1, _CHUNK_TOKENS // (length * (2 * gen.k + length)))
            for a in range(0, level.shape[0], rows_per_chunk):
                chunk = level[a:a + rows_per_chunk]
                sb = gen.support_batch(chunk)
                transitions += sb.parent.size
                x = chunk[sb.parent]
                for out_len, rows, succ in _g_rows(x, sb.y, sb.insert):
                    if out_len == length:
                        fixed = (succ == x[rows]).all(axis=1)
                        if fixed.any():
                            found.setdefault(length - 1, []).append(succ[fixed])
                        succ = succ[~fixed]
                    if out_len - 1 <= max_length and succ.shape[0]:
                        nxt_level.setdefault(out_len, []).append(succ)
        frontier = {}
        for length, blocks in nxt_level.items():
            level = np.concatenate(blocks)
            masked = (level == 0).any(axis=1)
            plain = _remember(seen, level[~masked], top)
            states += int(np.count_nonzero(masked)) + plain.shape[0]
            frontier[length] = np.concatenate([level[masked], plain])
    outputs = {n: _words(_canonical_rows(np.concatenate(blocks), top)) for n, blocks in sorted(found.items())}
    return SupportSummary(outputs=outputs, states=states, transitions=transitions)


def _row_keys(rows: np.ndarray, top: int) -> np.ndarray:
    """One sortable key per row of ids in ``0..top-1``: the ids packed into one int64 when they fit, else the
    row's bytes.  The choice depends only on the width and ``top``, so keys of one width always agree."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    width, bits = rows.shape[1], max(1, (top - 1).bit_length())
    if width * bits <= 63:
        key = np.zeros(rows.shape[0], dtype=np.int64)
        for j in range(width):
            key <<= bits
            key |= rows[:, j]
        return key
    return rows.view(np.dtype((np.void, 8 * width))).ravel()


def _remember(seen: dict[int, np.ndarray], rows: np.ndarray, top: int) -> np.ndarray:
    """The rows not met before (first occurrences, in order); adds them to ``seen`` (keyed by row length)."""
    if rows.shape[0] == 0:
        return rows
    keys = _row_keys(rows, top)
    old = seen.get(rows.shape[1], keys[:0])
    both = np.concatenate([old, keys])
    uniq, first = np.unique(both, return_index=True)
    fresh = np.sort(first[first >= old.shape[0]]) - old.shape[0]
    seen[rows.shape[1]] = uniq
    return rows[fresh]


def _canonical_rows(rows: np.ndarray, top: int) -> np.ndarray:
    """Distinct mask-free states, sorted by :func:`_canonical_key` of their words (one lexsort)."""
    rows = rows[np.sort(np.unique(_row_keys(rows, top), return_index=True)[1])]
    if rows.shape[1] <= 1:
        return rows[:1]
    return rows[np.lexsort(rows[:, 1:].T[::-1])]  # letter ids are 3 + canonical code, so ids sort as codes


def _g_rows(x: np.ndarray, y: np.ndarray, insert: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """``g`` of every row (one ``apply_g`` on the concatenation), as ``(length, row indices, outputs)`` groups."""
    m, n = x.shape
    flat = apply_g(x.ravel(), y.ravel(), None, insert.ravel(), None, mask_id=0)
    grows = np.count_nonzero(insert, axis=1)
    if m and grows.min() == grows.max():  # one output length: a reshape
        return [(n + int(grows[0]), np.arange(m), flat.reshape(m, n + int(grows[0])))]
    lens = n + grows
    starts = np.cumsum(lens) - lens
    groups = []
    for out_len in np.unique(lens).tolist():
        rows = np.flatnonzero(lens == out_len)
        groups.append((out_len, rows, flat[starts[rows][:, None] + np.arange(out_len)]))
    return groups


def _words(rows: np.ndarray) -> list[Word]:
    """:func:`tokens_to_word` of every row of a mask-free state array (BOS in column 0)."""
    d = rows[:, 1:] - _FIRST_LETTER_ID
    vals = np.where(d % 2 == 0, d // 2 + 1, -(d // 2 + 1))
    return [tuple(r) for r in vals.tolist()]


def reachable_outputs_reference(gen: DyckGenerator, max_length: int) -> SupportSummary:
    """The plain search of :func:`reachable_outputs`: one state at a time, :meth:`DyckGenerator.support` and the
    reference ``g`` (:func:`machines.transition.apply_g_reference`) per prediction.  The oracle of the fast path.

    Examples
    --------
    >>> reachable_outputs_reference(DyckGenerator(k=2), 4) == reachable_outputs(DyckGenerator(k=2), 4)
    True
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
