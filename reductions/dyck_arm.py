"""Theorem 5, the ARM side: a suite of ARMs for two-sided Dyck-k, the EOS reduction, and measured failure lengths.

The paper's argument (PAPER.md §2, Theorem 5; the argument's details are the project's reconstruction, [I]):
every prefix of a Dyck word can be completed (append its inverse), so an ARM whose support is *exactly* the language
must allow every letter after every prefix and must allow EOS after a prefix **iff** the prefix is in the language.
Its EOS decision -- one forward pass -- is then a recogniser; a constant-depth Transformer computes a TC^0 function,
and two-sided Dyck-k (k >= 2) is NC^1-hard, so unless TC^0 = NC^1 no fixed ARM is exact at every length.  That last
step is a conditional complexity result: the code here illustrates it, it cannot prove it.

What is executable:

(a) :func:`eos_recogniser` and :func:`reduction_witness` -- on any :class:`SupportARM`, the one-pass EOS decision is
    compared with membership; every disagreement is turned into a concrete word showing the ARM's support is not the
    language (an emitted non-member or a missed member), and :func:`verify_witness` checks that word against the
    ARM by walking its support letter by letter.  :func:`reduction_check` runs this on every word up to a length in
    three passes, each asking one side: the ARM reads every word (:func:`read_arm`), the language judges the
    readings and completes the witnesses (:func:`find_witnesses`), the ARM's support is walked along each witness.
(b) :func:`first_failures` -- exhaustive search over the ARM's support tree for the shortest emitted non-member and
    the shortest missed member (the measured length thresholds), run on the window ARMs below for several ``w``.
(c) :class:`StackARM` is exact; its state is the reduced prefix, and
    :func:`reductions.dyck_two_sided.state_growth` counts the distinct states it needs at each length -- by
    Myhill-Nerode, a lower bound for *any* exact left-to-right recogniser.  That count is a fact of the language, so
    it lives with the language.

An ARM here is given by ``next_support(prefix)``: the sorted tuple of symbols it may emit next (letters ``+-i`` and
``EOS = 0``), plus ``state_key(prefix)``: a value such that equal keys imply equal futures (used to merge states in
the search; tests check it against plain enumeration).  **Any** ARM sampler that reports its next-token
distribution fits: :class:`DistributionARM` wraps a callable ``distribution(prefix) -> {symbol: probability}``
(the support is the symbols of positive probability; the state key is the prefix itself, which never merges two
prefixes wrongly), so reductions (a) and (b) run on it unchanged.  What cannot be handled is a sampler that only
draws tokens and reports nothing: its support cannot be read off exactly.

The other side of every check is the language, handed in as a value (``language=``) that reads it left to right:
a :class:`PrefixLanguage` -- alphabet, state after a prefix, one step, acceptance, and a completion for every
prefix.  The checks walk the ARM and the language in lock-step and never call the language's module themselves;
:class:`reductions.dyck_two_sided.DyckLanguage` is the one the project checks against (the default, built from the
ARM's ``k``), built once by the caller of a whole section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Protocol

from reductions.dyck_two_sided import DyckLanguage, Word, check_k, letters, reduce_word
from reductions.errors import InvalidInstance

__all__ = ["EOS", "ARMReading", "AbelianARM", "BlockWindowARM", "DistributionARM", "FailureReport",
           "GreedyWindowARM", "PrefixLanguage", "ReductionCheck", "StackARM", "SupportARM", "Witness", "arm_language",
           "arm_suite", "capped_stack_distribution", "eos_recogniser", "find_witnesses", "first_failures",
           "in_support", "read_arm", "reduction_check", "reduction_witness", "verify_witness"]

EOS = 0


class SupportARM(Protocol):
    """An ARM over the Dyck alphabet that can report its next-symbol support exactly."""

    @property
    def k(self) -> int: ...

    @property
    def name(self) -> str: ...

    def next_support(self, prefix: Sequence[int]) -> tuple[int, ...]: ...

    def state_key(self, prefix: Sequence[int]) -> object: ...


class PrefixLanguage(Protocol):
    """A language read left to right, as the checks below need it: every prefix has a state and a completion."""

    @property
    def k(self) -> int: ...

    @property
    def letters(self) -> tuple[int, ...]: ...

    @property
    def start(self) -> Word: ...

    def step(self, state: Word, letter: int) -> Word: ...

    def state(self, word: Sequence[int]) -> Word: ...

    def accepts(self, state: Word) -> bool: ...

    def completion(self, state: Word) -> Word: ...

    def contains(self, word: Sequence[int]) -> bool: ...


def arm_language(arm: SupportARM, language: PrefixLanguage | None = None) -> PrefixLanguage:
    """The language ``arm`` is checked against: ``language`` if given (it must have the ARM's ``k``), else
    two-sided Dyck-k.

    Examples
    --------
    >>> arm_language(StackARM(k=2)).letters
    (1, -1, 2, -2)
    """
    if language is None:
        return DyckLanguage(arm.k)
    if language.k != arm.k:
        raise InvalidInstance(f"{arm.name} has k = {arm.k}, the language it is checked against k = {language.k}")
    return language


def _check_w(w: int) -> int:
    if isinstance(w, bool) or not isinstance(w, int) or w < 1:
        raise InvalidInstance(f"window w must be an integer >= 1, got {w!r}")
    return w


@dataclass(frozen=True, slots=True, kw_only=True)
class StackARM:
    """The exact ARM: every letter always; EOS iff the whole prefix reduces to the empty word (state: the stack).

    Examples
    --------
    >>> StackARM(k=2).next_support((1, -1))
    (-2, -1, 0, 1, 2)
    """

    k: int

    def __post_init__(self) -> None:
        check_k(self.k)

    @property
    def name(self) -> str:
        return "stack (exact)"

    def next_support(self, prefix: Sequence[int]) -> tuple[int, ...]:
        return tuple(sorted(letters(self.k) + ((EOS,) if not reduce_word(prefix) else ())))

    def state_key(self, prefix: Sequence[int]) -> object:
        return reduce_word(prefix)


@dataclass(frozen=True, slots=True, kw_only=True)
class AbelianARM:
    """A counting ARM: every letter always; EOS iff every letter's exponent sum is zero (abelianisation).

    Complete (every Dyck word has zero exponent sums) but unsound for k >= 2: ``a b A B`` is emitted.

    Examples
    --------
    >>> EOS in AbelianARM(k=2).next_support((1, 2, -1, -2))
    True
    """

    k: int

    def __post_init__(self) -> None:
        check_k(self.k)

    @property
    def name(self) -> str:
        return "abelian (counts only)"

    def next_support(self, prefix: Sequence[int]) -> tuple[int, ...]:
        zero = not any(self._sums(prefix))
        return tuple(sorted(letters(self.k) + ((EOS,) if zero else ())))

    def state_key(self, prefix: Sequence[int]) -> object:
        return self._sums(prefix)

    def _sums(self, prefix: Sequence[int]) -> tuple[int, ...]:
        sums = [0] * self.k
        for s in prefix:
            sums[abs(s) - 1] += 1 if s > 0 else -1
        return tuple(sums)


@dataclass(frozen=True, slots=True, kw_only=True)
class _WindowARM:
    """The fields and checks shared by the window ARMs: ``k`` bracket types, a window of ``w`` symbols."""

    k: int
    w: int

    def __post_init__(self) -> None:
        check_k(self.k)
        _check_w(self.w)


@dataclass(frozen=True, slots=True, kw_only=True)
class GreedyWindowARM(_WindowARM):
    """Sees only the last ``w`` symbols: every letter always; EOS iff that window reduces to the empty word.

    Exact up to length ``w``; beyond, it emits non-members and misses members.

    Examples
    --------
    >>> EOS in GreedyWindowARM(k=2, w=2).next_support((1, 2, -2))  # window (2, -2) cancels
    True
    """

    @property
    def name(self) -> str:
        return f"greedy window w={self.w}"

    def next_support(self, prefix: Sequence[int]) -> tuple[int, ...]:
        window = tuple(prefix[-self.w:]) if prefix else ()
        return tuple(sorted(letters(self.k) + ((EOS,) if not reduce_word(window) else ())))

    def state_key(self, prefix: Sequence[int]) -> object:
        return tuple(prefix[-self.w:]) if prefix else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockWindowARM(_WindowARM):
    """Sees the last ``w`` symbols and its position: emits words made of blocks of ``w`` letters that each cancel.

    The current block starts at the last multiple of ``w`` (so it is inside the window).  A letter is allowed only if
    the block can still cancel within its ``w`` positions; EOS is allowed when the current block has cancelled.
    Sound (every emitted word is a Dyck word) but it misses members whose cancellation crosses a block boundary.

    Examples
    --------
    >>> BlockWindowARM(k=2, w=2).next_support((1,))  # the block must close now
    (-1,)
    """

    @property
    def name(self) -> str:
        return f"block window w={self.w}"

    def next_support(self, prefix: Sequence[int]) -> tuple[int, ...]:
        j = len(prefix) % self.w
        block = reduce_word(prefix[len(prefix) - j:])
        room = self.w - j - 1
        allowed = [s for s in letters(self.k) if len(reduce_word(block + (s,))) <= room]
        return tuple(sorted(allowed + ([EOS] if not block else [])))

    def state_key(self, prefix: Sequence[int]) -> object:
        j = len(prefix) % self.w
        return j, tuple(prefix[len(prefix) - j:])


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionARM:
    """Any ARM sampler that reports its next-token distribution, seen as a :class:`SupportARM`.

    ``distribution(prefix)`` returns a mapping ``symbol -> probability`` (or any non-negative weight) over the
    letters ``+-1..+-k`` and ``EOS = 0``; symbols left out have probability 0.  The support is the symbols of
    positive probability, sorted; a symbol outside the alphabet or a negative weight raises ``InvalidInstance``
    (every problem listed).  The state key is the prefix itself: nothing is merged, so the searches of (a) and (b)
    are exact on any such ARM (at a cost exponential in the length searched).

    Examples
    --------
    >>> arm = DistributionARM(k=2, distribution=capped_stack_distribution(2, 1), label="depth <= 1")
    >>> arm.next_support(()), arm.next_support((1,))
    ((-2, -1, 0, 1, 2), (-1,))
    """

    k: int
    distribution: Callable[[Word], Mapping[int, object]]
    label: str = "distribution ARM"

    def __post_init__(self) -> None:
        check_k(self.k)

    @property
    def name(self) -> str:
        return self.label

    def next_support(self, prefix: Sequence[int]) -> tuple[int, ...]:
        dist = self.distribution(tuple(prefix))
        allowed = set(letters(self.k)) | {EOS}
        problems = [f"symbol {s!r} is outside the alphabet of k = {self.k}" for s in dist if s not in allowed]
        problems += [f"symbol {s!r} has negative probability {p!r}" for s, p in dist.items()
                     if isinstance(p, int | float | Fraction) and p < 0]
        problems += [f"symbol {s!r} has a non-numeric probability {p!r}" for s, p in dist.items()
                     if not isinstance(p, int | float | Fraction)]
        if problems:
            raise InvalidInstance(f"{self.label}: bad distribution after {tuple(prefix)}: " + "; ".join(problems))
        return tuple(sorted(s for s, p in dist.items() if isinstance(p, int | float | Fraction) and p > 0))

    def state_key(self, prefix: Sequence[int]) -> object:
        return tuple(prefix)


def capped_stack_distribution(k: int, cap: int) -> Callable[[Word], dict[int, Fraction]]:
    """An example sampler known only by its distribution: uniform over the moves that keep the reduced prefix at
    most ``cap`` long (EOS allowed exactly on an empty reduction).  It misses every member that goes deeper.

    Examples
    --------
    >>> capped_stack_distribution(2, 1)((1,))
    {-1: Fraction(1, 1)}
    """
    check_k(k)

    def distribution(prefix: Word) -> dict[int, Fraction]:
        red = reduce_word(prefix)
        moves = [s for s in letters(k) if (red and red[-1] == -s) or len(red) < cap]
        if not red:
            moves = [EOS, *moves]
        return {s: Fraction(1, len(moves)) for s in moves}

    return distribution


def arm_suite(k: int, windows: Sequence[int] = (2, 4, 6)) -> list[SupportARM]:
    """The ARMs every check runs on: exact stack, abelian counter, greedy and block window ARMs for each ``w``."""
    suite: list[SupportARM] = [StackARM(k=k), AbelianARM(k=k)]
    suite += [GreedyWindowARM(k=k, w=w) for w in windows]
    suite += [BlockWindowARM(k=k, w=w) for w in windows]
    return suite


# -- (a) the EOS reduction -----------------------------------------------------------------------------------------
def eos_recogniser(arm: SupportARM) -> Callable[[Sequence[int]], bool]:
    """The recogniser an exact ARM yields: ``word -> EOS in arm.next_support(word)`` (one forward pass).

    Examples
    --------
    >>> rec = eos_recogniser(StackARM(k=2))
    >>> rec((1, 2, -2, -1)), rec((1, 2, -1, -2))
    (True, False)
    """
    return lambda word: EOS in arm.next_support(tuple(word))


def in_support(arm: SupportARM, word: Sequence[int]) -> bool:
    """True iff the ARM can emit exactly ``word`` then EOS (every letter allowed in turn, then EOS)."""
    for i, s in enumerate(word):
        if s not in arm.next_support(tuple(word[:i])):
            return False
    return EOS in arm.next_support(tuple(word))


@dataclass(frozen=True, slots=True)
class Witness:
    """A word showing ``supp(arm) != language``: ``kind`` is ``"emits non-member"`` or ``"misses member"``."""

    kind: str
    word: Word


@dataclass(frozen=True, slots=True)
class ARMReading:
    """What the ARM alone says about one word: ``eos`` -- EOS is allowed after it (the verdict of
    :func:`eos_recogniser`); ``head`` -- its shortest prefix whose last letter the ARM forbids (``None`` when every
    letter of the word is allowed in turn)."""

    word: Word
    eos: bool
    head: Word | None


def read_arm(arm: SupportARM, words: Iterable[Sequence[int]]) -> list[ARMReading]:
    """The ARM's pass of reduction (a): :class:`ARMReading` of every word, asking ``arm.next_support`` once per
    distinct prefix (a word's head is its parent's head, or the word itself if its last letter is forbidden).

    Examples
    --------
    >>> [(r.eos, r.head) for r in read_arm(BlockWindowARM(k=2, w=2), [(1, -1), (1, 2)])]  # after a: only A
    [(True, None), (True, (1, 2))]

    Notes
    -----
    One ``next_support`` call per distinct prefix: ``sum_n (2k)^n`` for all words up to ``n``.  Theorem 5 (a).
    """
    support: dict[Word, tuple[int, ...]] = {}
    heads: dict[Word, Word | None] = {(): None}

    def allowed(p: Word) -> tuple[int, ...]:
        if p not in support:
            support[p] = arm.next_support(p)
        return support[p]

    def head(w: Word) -> Word | None:
        if w not in heads:
            parent = head(w[:-1])
            heads[w] = parent if parent is not None else (w if w[-1] not in allowed(w[:-1]) else None)
        return heads[w]

    return [ARMReading(word=w, eos=EOS in allowed(w), head=head(w)) for w in map(tuple, words)]


def find_witnesses(readings: Sequence[ARMReading], language: PrefixLanguage) -> list[tuple[Witness, bool]]:
    """The language's pass of reduction (a): every word the ARM's recogniser gets wrong, as a witness with the
    language's verdict on the witness word (asked afresh, so that verification does not trust how it was found).

    Cases: if some letter of the word is forbidden after its prefix ``p``, the member ``p l (red(p l))^-1`` is
    missed; otherwise the word itself is reachable and is an emitted non-member (EOS allowed, not in the language)
    or a missed member (in the language, EOS forbidden).  Membership and completions are the language's only.

    Examples
    --------
    >>> arm = GreedyWindowARM(k=2, w=2)
    >>> find_witnesses(read_arm(arm, [(1, -1), (1, 2, -2)]), DyckLanguage(2))
    [(Witness(kind='emits non-member', word=(1, 2, -2)), False)]
    """
    found = []
    for r in readings:
        member = language.contains(r.word)
        if r.eos == member:
            continue
        if r.head is not None:
            witness = Witness("misses member", r.head + language.completion(language.state(r.head)))
        else:
            witness = Witness("misses member" if member else "emits non-member", r.word)
        found.append((witness, language.contains(witness.word)))
    return found


def _agrees(witness: Witness, member: bool, emitted: bool) -> bool:
    """A witness holds iff its kind matches the language's verdict on its word and the ARM's emission of it."""
    if witness.kind == "emits non-member":
        return emitted and not member
    if witness.kind == "misses member":
        return member and not emitted
    return False


def reduction_witness(arm: SupportARM, word: Sequence[int], *,
                      language: PrefixLanguage | None = None) -> Witness | None:
    """If the EOS recogniser is wrong on ``word``, a witness that the ARM is not exact; ``None`` if it is right.

    :func:`read_arm` then :func:`find_witnesses` on the one word (the cases are listed there); membership and
    completions come from ``language`` (:func:`arm_language`).

    Examples
    --------
    >>> reduction_witness(GreedyWindowARM(k=2, w=2), (1, 2, -2))
    Witness(kind='emits non-member', word=(1, 2, -2))
    >>> reduction_witness(StackARM(k=2), (1, 2, -2)) is None
    True
    """
    found = find_witnesses(read_arm(arm, [word]), arm_language(arm, language))
    return found[0][0] if found else None


def verify_witness(arm: SupportARM, witness: Witness, *, language: PrefixLanguage | None = None) -> bool:
    """Check a witness against the ARM by walking its support (independent of how it was found)."""
    return _agrees(witness, arm_language(arm, language).contains(witness.word), in_support(arm, witness.word))


@dataclass(frozen=True, slots=True)
class ReductionCheck:
    """Reduction (a) on one ARM, all words up to ``max_length``.

    ``errors``: words on which the EOS recogniser disagrees with membership; ``verified``: how many of them yielded a
    witness that the ARM's support and the language confirm (as :func:`verify_witness` does); ``exact``: the support
    search found no failure on the prefixes up to ``max_length`` (every letter allowed, EOS exactly on members; a
    forbidden letter counts through its shortest missed completion, of length at most ``2 * max_length + 2``).  The
    reduction holds on this ARM iff ``verified == errors`` and (``exact`` implies ``errors == 0``).
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

    Three passes, each asking one side: the ARM reads every word (:func:`read_arm`), the language judges the readings
    and completes the witnesses (:func:`find_witnesses`), the ARM's support is walked along every witness word
    (:func:`in_support`); then the support search of (b) says whether the ARM is exact up to ``max_length``.

    Examples
    --------
    >>> reduction_check(StackARM(k=2), 4).errors, reduction_check(GreedyWindowARM(k=2, w=2), 4).ok
    (0, True)

    Notes
    -----
    ``sum_n (2k)^n`` words, one ``next_support`` call and one membership query each, plus a support walk and a
    membership query per witness.  Theorem 5 (a).  The words, membership and completions come from ``language``
    (:func:`arm_language`), which is handed on to the search.
    """
    lang = arm_language(arm, language)
    readings = read_arm(arm, (w for n in range(max_length + 1) for w in product(lang.letters, repeat=n)))
    found = find_witnesses(readings, lang)
    verified = sum(_agrees(witness, member, in_support(arm, witness.word)) for witness, member in found)
    exact = first_failures(arm, max_length, witness_length=2 * max_length + 2, language=lang).exact
    return ReductionCheck(arm=arm.name, max_length=max_length, words=len(readings), errors=len(found),
                          verified=verified, exact=exact)


# -- (b) measured failure lengths ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FailureReport:
    """Shortest emitted non-member and shortest missed member up to ``max_length`` (``None``: none found)."""

    arm: str
    max_length: int
    nonmember: Witness | None
    missed: Witness | None
    states: int

    @property
    def exact(self) -> bool:
        return self.nonmember is None and self.missed is None


def first_failures(arm: SupportARM, max_length: int, *, witness_length: int | None = None,
                   language: PrefixLanguage | None = None) -> FailureReport:
    """Exhaustive breadth-first search over the ARM's support tree, merging prefixes with equal (ARM state, language
    state); the language state is the reduced prefix for :class:`~reductions.dyck_two_sided.DyckLanguage`, the
    default (:func:`arm_language`).

    Prefixes up to ``max_length`` are explored; a missed member found through a forbidden letter is kept if it is
    at most ``witness_length`` long (default ``max_length``).  With ``witness_length = 2 * max_length + 2`` the
    report is exact iff the ARM allows every letter after every prefix shorter than ``max_length`` and allows EOS
    exactly after the Dyck words of length ``<= max_length`` -- what reduction (a) needs.

    At each reachable prefix ``p``: EOS allowed while ``red(p)`` is non-empty gives an emitted non-member of length
    ``|p|``; EOS forbidden while ``red(p)`` is empty gives a missed member; a forbidden letter ``l`` gives the missed
    member ``p l red(p l)^-1``.  The search stops once both failures are found and no shorter one can appear.

    Examples
    --------
    >>> r = first_failures(GreedyWindowARM(k=2, w=2), 6)
    >>> len(r.nonmember.word), len(r.missed.word)
    (3, 4)

    Notes
    -----
    Work proportional to the number of distinct (state, reduced prefix) pairs up to ``max_length``.  Theorem 5 (b).
    """
    lang = arm_language(arm, language)
    level: dict[tuple[object, Word], Word] = {(arm.state_key(()), lang.start): ()}
    nonmember: Witness | None = None
    missed: Witness | None = None
    states = 0
    limit = max_length if witness_length is None else witness_length
    for t in range(max_length + 1):
        nxt: dict[tuple[object, Word], Word] = {}
        for (_, red), p in level.items():
            states += 1
            sup = arm.next_support(p)
            member = lang.accepts(red)
            if EOS in sup and not member and nonmember is None:
                nonmember = Witness("emits non-member", p)
            if EOS not in sup and member and (missed is None or len(missed.word) > t):
                missed = Witness("misses member", p)
            for s in lang.letters:
                q = p + (s,)
                rq = lang.step(red, s)
                if s not in sup:
                    cand = q + lang.completion(rq)
                    if len(cand) <= limit and (missed is None or len(cand) < len(missed.word)):
                        missed = Witness("misses member", cand)
                elif t < max_length:
                    nxt.setdefault((arm.state_key(q), rq), q)
        if nonmember is not None and missed is not None and len(missed.word) <= t + 1:
            break
        level = nxt
    return FailureReport(arm=arm.name, max_length=max_length, nonmember=nonmember, missed=missed, states=states)
