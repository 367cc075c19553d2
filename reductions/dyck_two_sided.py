"""Theorem 5, the language: two-sided Dyck-k, its recognisers, its word syntax and independent enumerators.

The two-sided Dyck language over ``k`` letter pairs is the set of words over ``a_1..a_k`` and their inverses
``A_1..A_k`` that reduce to the empty word by repeatedly deleting an adjacent pair ``a_i A_i`` **or** ``A_i a_i``
(PAPER.md §2, Theorem 5; the definition is the standard one, marked [I] there): the word problem of the free group
``F_k``.  In code a letter is a signed integer: ``+i`` is ``a_i`` and ``-i`` is its inverse; a word is a tuple of
them.

Three recognisers that share no code, used as each other's oracles:

* :func:`reduce_word` / :func:`is_dyck` -- free reduction with a stack (the reference, O(n));
* :func:`is_dyck_by_cancellation` -- the pair-cancellation closure: delete the leftmost cancelling pair until none
  is left (O(n^2), a rewriting system rather than a stack);
* :func:`dyck_words_bruteforce` -- every one of the ``(2k)^n`` words evaluated in ``SL(2, Z)`` under a faithful
  representation of ``F_k`` (Sanov's matrices, see :mod:`reductions.dyck_matrix`), kept iff the product is the
  identity.  No reduction at all.

:func:`dyck_count` counts the words by a dynamic programme on the reduced length (a third, closed-form method).

Read left to right, the language is an automaton whose state after a prefix is the prefix's reduced form.
:class:`DyckLanguage` is that automaton as one value (alphabet, step, acceptance, the completion of a prefix), which
the ARM checks of :mod:`reductions.dyck_arm` are handed instead of calling back here for every prefix;
:func:`state_growth` and :func:`states_separated` count and separate its states at a length (the Myhill-Nerode
classes of the prefixes, Theorem 5 (c)).

Word syntax (the CLI's ``WORD``): either signed integers separated by spaces and/or commas (``"1 -1 2 -2"``,
``"1,-1"``) or a run of letters (``"abBA"``): lower case ``a..z`` are ``a_1..a_26`` and upper case their
inverses.  The empty string is the empty word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product

from reductions.errors import InstanceTooLarge, InvalidInstance

__all__ = ["MAX_K", "DyckLanguage", "Word", "check_k", "check_word", "dyck_count", "dyck_words_bruteforce",
           "format_letters", "format_word", "inverse", "is_dyck", "is_dyck_by_cancellation", "letters", "parse_word",
           "reduce_word", "state_growth", "states_separated"]

Word = tuple[int, ...]
#: Largest supported number of letter pairs (the letter syntax has 26 letters).
MAX_K = 26
_INT_TOKEN = re.compile(r"^[+-]?[0-9]+$")


def check_k(k: object) -> int:
    """Validate the number of letter pairs; returns it as an ``int``.

    Examples
    --------
    >>> check_k(2)
    2
    >>> check_k(0)
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: k must be an integer with 1 <= k <= 26, got 0
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInstance(f"k must be an integer with 1 <= k <= {MAX_K}, got {k!r}")
    return k


def letters(k: int) -> Word:
    """The ``2k`` letters in canonical order ``(1, -1, 2, -2, ..., k, -k)``.

    Examples
    --------
    >>> letters(2)
    (1, -1, 2, -2)
    """
    check_k(k)
    return _letters(k)


@functools.lru_cache(maxsize=64)
def _letters(k: int) -> Word:
    """:func:`letters` without the check, built once per ``k`` (the ARM searches ask for it a million times)."""
    return tuple(s for i in range(1, k + 1) for s in (i, -i))


def check_word(word: Sequence[int], k: int) -> Word:
    """Validate that every symbol of ``word`` is a letter of the alphabet of size ``2k``; report every bad one.

    Examples
    --------
    >>> check_word([1, -2], 2)
    (1, -2)
    >>> check_word([1, 3], 2)
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: symbols outside the alphabet of k=2 (letters +-1..+-2): 3 at position 1
    """
    check_k(k)
    bad = [f"{s!r} at position {i}" for i, s in enumerate(word)
           if isinstance(s, bool) or not isinstance(s, int) or s == 0 or abs(s) > k]
    if bad:
        raise InvalidInstance(f"symbols outside the alphabet of k={k} (letters +-1..+-{k}): " + ", ".join(bad))
    return tuple(int(s) for s in word)


def inverse(word: Sequence[int]) -> Word:
    """The formal inverse: reversed, every letter negated.

    Examples
    --------
    >>> inverse((1, 2, -1))
    (1, -2, -1)
    """
    return tuple(-s for s in reversed(word))


def reduce_word(word: Sequence[int]) -> Word:
    """Free reduction with a stack: the unique reduced word equal to ``word`` in the free group.

    Examples
    --------
    >>> reduce_word((1, 2, -2, -1, 2))
    (2,)

    Notes
    -----
    O(n) time, O(n) space (the stack).  Reference recogniser of Theorem 5.
    """
    stack: list[int] = []
    for s in word:
        if stack and stack[-1] == -s:
            stack.pop()
        else:
            stack.append(s)
    return tuple(stack)


def is_dyck(word: Sequence[int]) -> bool:
    """True iff ``word`` is in two-sided Dyck-k (it reduces to the empty word).

    Examples
    --------
    >>> is_dyck((1, -1, -2, 2)), is_dyck((1, 2, -1, -2))
    (True, False)
    """
    return not reduce_word(word)


def is_dyck_by_cancellation(word: Sequence[int]) -> bool:
    """The pair-cancellation closure: delete the leftmost adjacent cancelling pair until none is left.

    Independent of :func:`reduce_word` (no stack; a rewriting system, confluent because free reduction is).

    Examples
    --------
    >>> is_dyck_by_cancellation((2, 1, -1, -2)), is_dyck_by_cancellation((1, 1))
    (True, False)

    Notes
    -----
    O(n^2) time.  Test oracle of Theorem 5.
    """
    w = list(word)
    i = 0
    while i + 1 < len(w):
        if w[i] + w[i + 1] == 0:
            del w[i:i + 2]
            i = max(i - 1, 0)
        else:
            i += 1
    return not w


def dyck_count(k: int, n: int) -> int:
    """Number of two-sided Dyck-k words of length ``n``, by a dynamic programme on the reduced length.

    Appending a letter to a word whose reduction has length ``r > 0`` shortens it in exactly one way and lengthens
    it in ``2k - 1`` ways (``2k`` ways from ``r = 0``), so the count depends only on ``r``.

    Examples
    --------
    >>> [dyck_count(2, n) for n in range(0, 9, 2)]
    [1, 4, 28, 232, 2092]

    Notes
    -----
    O(n^2) integer operations; exact for any n.  A closed-form cross-check of the enumerations of Theorem 5.
    """
    check_k(k)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInstance(f"length must be a non-negative integer, got {n!r}")
    ways = [1] + [0] * n
    for _ in range(n):
        nxt = [0] * (n + 1)
        for r, c in enumerate(ways):
            if not c:
                continue
            if r == 0:
                nxt[1] += 2 * k * c
            else:
                nxt[r - 1] += c
                if r + 1 <= n:
                    nxt[r + 1] += (2 * k - 1) * c
        ways = nxt
    return ways[0]


def dyck_words_bruteforce(k: int, n: int, *, max_words: int = 1 << 26) -> list[Word]:
    """Every two-sided Dyck-k word of length ``n``, found by evaluating all ``(2k)^n`` words as matrices.

    Sorted in the canonical letter order of :func:`letters`.  See :mod:`reductions.dyck_matrix`.

    Examples
    --------
    >>> dyck_words_bruteforce(1, 2)
    [(1, -1), (-1, 1)]
    >>> len(dyck_words_bruteforce(2, 4))
    28

    Notes
    -----
    O((2k)^n) work, vectorised with numpy.  The independent oracle of Theorem 5's support check.
    """
    from reductions.dyck_matrix import dyck_codes_bruteforce, word_of_code

    check_k(k)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInstance(f"length must be a non-negative integer, got {n!r}")
    total = (2 * k) ** n
    if total > max_words:
        raise InstanceTooLarge(quantity="number of words (2k)^n", needed=total, limit=max_words,
                               hint="max_words=")
    return [word_of_code(int(c), k, n) for c in dyck_codes_bruteforce(k, n)]


# -- the language read left to right: its automaton and the states it needs --------------------------------------
@dataclass(frozen=True, slots=True)
class DyckLanguage:
    """Two-sided Dyck-k read left to right: the automaton whose state after a prefix is its reduced form.

    It starts in ``()``; :meth:`step` appends one letter (cancelling or pushing it), a state accepts iff it is
    ``()``, and :meth:`completion` is the shortest suffix taking a prefix in that state into the language (the
    state's inverse) -- every prefix has one, the fact the EOS reduction of Theorem 5 (a) rests on.  This is what
    :class:`reductions.dyck_arm.PrefixLanguage` asks for; the module functions above do the work.

    Examples
    --------
    >>> lang = DyckLanguage(2)
    >>> lang.letters, lang.step((1, 2), -2), lang.state((1, 2, -1)), lang.completion((1, 2, -1))
    ((1, -1, 2, -2), (1,), (1, 2, -1), (1, -2, -1))
    >>> lang.accepts(lang.start), lang.contains((1, 2, -1, -2))
    (True, False)
    """

    k: int
    letters: Word = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "letters", letters(self.k))

    @property
    def start(self) -> Word:
        """The state of the empty prefix."""
        return ()

    def step(self, state: Word, letter: int) -> Word:
        """The state after appending ``letter`` to a prefix in ``state`` (one step of :func:`reduce_word`)."""
        return state[:-1] if state and state[-1] == -letter else state + (letter,)

    def state(self, word: Sequence[int]) -> Word:
        """The state after ``word``: :func:`reduce_word`."""
        return reduce_word(word)

    def accepts(self, state: Word) -> bool:
        """True iff a prefix in ``state`` is in the language."""
        return not state

    def completion(self, state: Word) -> Word:
        """The shortest suffix taking a prefix in ``state`` into the language: :func:`inverse` of the state."""
        return inverse(state)

    def contains(self, word: Sequence[int]) -> bool:
        """Membership: :func:`is_dyck`."""
        return is_dyck(word)


def state_growth(k: int, n: int) -> int:
    """Number of distinct reduced forms among all prefixes of length ``n`` (= states the exact stack ARM visits).

    Any two prefixes with different reductions ``r != r'`` are told apart by the suffix ``r^-1`` (``p r^-1`` is a
    Dyck word, ``p' r^-1`` is not), so every exact left-to-right recogniser needs at least this many states after
    ``n`` symbols (Myhill-Nerode): ``1 + sum_{0<r<=n, r = n mod 2} 2k (2k-1)^(r-1)``, exponential in ``n``.

    Examples
    --------
    >>> [state_growth(2, n) for n in range(5)]
    [1, 4, 13, 40, 121]

    Notes
    -----
    Enumerates the automaton's states level by level (:class:`DyckLanguage`): O(number of states).  Theorem 5 (c).
    """
    lang = DyckLanguage(k)
    level = {lang.start}
    for _ in range(n):
        level = {lang.step(state, s) for state in level for s in lang.letters}
    return len(level)


def states_separated(k: int, n: int) -> bool:
    """Every two reduced forms reachable at length ``n`` are told apart by a suffix, checked on words: with ``p``
    a prefix of length ``n`` reducing to ``r``, ``p r^-1`` is a Dyck word and ``p' r^-1`` is not for every other
    reduced form ``r'`` of a prefix ``p'`` (the Myhill-Nerode argument of :func:`state_growth`, run).

    Examples
    --------
    >>> states_separated(2, 2)
    True

    Notes
    -----
    Enumerates ``(2k)^n`` prefixes and checks every ordered pair of reduced forms: small ``n`` only.  Theorem 5 (c).
    """
    forms = sorted({reduce_word(p) for p in product(letters(k), repeat=n)})
    pad = lambda r: r + (1, -1) * ((n - len(r)) // 2)  # noqa: E731 - a prefix of length n reducing to r
    return all(is_dyck(pad(r) + inverse(r)) and not is_dyck(pad(q) + inverse(r))
               for r in forms for q in forms if q != r)


# -- the WORD syntax -----------------------------------------------------------------------------------------------
def parse_word(text: str, k: int) -> Word:
    """Parse the CLI's WORD syntax (see the module docstring) and validate it against the alphabet of ``k``.

    Examples
    --------
    >>> parse_word("1 -1, 2 -2", 2), parse_word("abBA", 2), parse_word("", 2)
    ((1, -1, 2, -2), (1, 2, -2, -1), ())
    >>> parse_word("a c", 2)
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: symbols outside the alphabet of k=2 (letters +-1..+-2): 3 at position 1
    """
    check_k(k)
    stripped = "".join(text.split())
    if stripped and stripped.isascii() and stripped.isalpha():
        return check_word([ord(c) - 96 if c.islower() else -(ord(c) - 64) for c in stripped], k)
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    bad = [p for p in parts if not _INT_TOKEN.match(p)]
    if bad:
        raise InvalidInstance(f"cannot read WORD {text!r}: {', '.join(repr(b) for b in bad)} "
                              "(use signed integers like '1 -1 2 -2' or letters like 'abBA')")
    return check_word([int(p) for p in parts], k)


def format_word(word: Sequence[int]) -> str:
    """Signed-integer form, space separated (``""`` for the empty word).

    Examples
    --------
    >>> format_word((1, -2))
    '1 -2'
    """
    return " ".join(str(s) for s in word)


def format_letters(word: Sequence[int]) -> str:
    """Letter form (``a`` = 1, ``A`` = -1, ...); only for ``k <= 26``.

    Examples
    --------
    >>> format_letters((1, -1, 2, -2))
    'aAbB'
    """
    return "".join(chr(96 + s) if s > 0 else chr(64 - s) for s in word)
