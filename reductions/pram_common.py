"""Pieces shared by the two PRAM constructions (Theorem 1: :mod:`reductions.pram_to_mdm`, Theorem 4:
:mod:`reductions.pram_to_apmdm`): the policies they accept, the word vocabulary, write resolution, caps.

Both constructions are the project's reconstruction (PAPER.md §2 gives the statements, not the proofs).  They
re-execute one PRAM processor's step on its own through the program's pure ``read_addresses`` / ``compute``
functions; the machine's sequence is the only state they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.vocab import MASK_NAME, WordVocabulary
from pram.machine import Policy, Program
from reductions.errors import InstanceTooLarge, InvalidInstance, UnsupportedProgram

__all__ = ["DEFAULT_MAX_LENGTH", "DEFAULT_WORD_BITS", "MAX_WORD_BITS", "SUPPORTED_POLICIES", "HardAttention",
           "Lookups", "WordCodec", "check_length", "check_policy", "check_word_bits", "default_policy",
           "resolve_writes", "word_bits_used", "word_vocabulary"]

#: Words are signed integers of this many bits (plus sign) unless the caller asks otherwise.
DEFAULT_WORD_BITS = 40
#: Largest word size: token ids of ``[-(2^b - 1), 2^b - 1]`` plus a few specials must fit in int64 (2^(b+1) < 2^63).
MAX_WORD_BITS = 61
#: Default cap on the machine's sequence length (both constructions refuse larger instances before building).
DEFAULT_MAX_LENGTH = 16_000_000

#: Policies both constructions simulate exactly.  CRCW-arbitrary is refused: the PRAM draws its winner from a seed,
#: while the constructions' predictors are pure functions of the sequence and resolve by a fixed rule.
SUPPORTED_POLICIES: tuple[Policy, ...] = (Policy.EREW, Policy.CREW, Policy.CRCW_COMMON, Policy.CRCW_PRIORITY)



def default_policy(program: Program) -> Policy:
    """The weakest supported policy the program is correct under (its ``min_policy``, or CRCW-priority)."""
    pol = Policy(program.min_policy)
    return pol if pol in SUPPORTED_POLICIES else Policy.CRCW_PRIORITY


def check_policy(program: Program, policy: Policy | str | None, construction: str) -> Policy:
    """Return ``policy`` as a :class:`Policy` if ``construction`` supports it for ``program``; else refuse.

    ``None`` means :func:`default_policy`.  Every problem is reported in one
    :class:`~reductions.errors.UnsupportedProgram`.
    """
    if policy is None:
        return default_policy(program)
    problems = []
    try:
        pol = Policy(policy)
    except ValueError:
        names = ", ".join(p.value for p in Policy)
        raise UnsupportedProgram(f"{construction}: unknown policy {policy!r}; known: {names}") from None
    if pol not in SUPPORTED_POLICIES:
        ok = ", ".join(p.value for p in SUPPORTED_POLICIES)
        problems.append(f"policy {pol.value!r} is not supported (its winner is drawn from the PRAM's seed, while the "
                        f"predictor is a pure function of the sequence); supported: {ok} -- crcw-priority is one "
                        f"legal arbitrary choice")
    if not pol.at_least(Policy(program.min_policy)):
        problems.append(f"program {program.name!r} needs at least {Policy(program.min_policy).value!r}, "
                        f"got {pol.value!r}")
    if program.num_writes < 0 or program.num_reads < 0 or program.num_registers < 1:
        problems.append(f"program {program.name!r} declares K={program.num_registers}, R={program.num_reads}, "
                        f"W={program.num_writes}")
    if problems:
        raise UnsupportedProgram(f"{construction} cannot take program {program.name!r}: " + "; ".join(problems))
    return pol


def check_length(needed: int, limit: int, what: str) -> None:
    """Refuse (before building) a sequence of ``needed`` tokens above ``limit``."""
    if needed > limit:
        raise InstanceTooLarge(quantity=what, needed=int(needed), limit=int(limit),
                               hint="max_length= (CLI: --max-length)")


def check_word_bits(word_bits: Any) -> int:
    """``word_bits`` as an int in ``1..MAX_WORD_BITS``, else :class:`~reductions.errors.InvalidInstance`.

    Examples
    --------
    >>> check_word_bits(40)
    40
    >>> check_word_bits(70)
    Traceback (most recent call last):
    ...
    reductions.errors.InvalidInstance: word_bits must be an integer in 1..61 (token ids are int64), got 70
    """
    if isinstance(word_bits, bool) or not isinstance(word_bits, int | np.integer) \
            or not 1 <= int(word_bits) <= MAX_WORD_BITS:
        raise InvalidInstance(f"word_bits must be an integer in 1..{MAX_WORD_BITS} (token ids are int64), "
                              f"got {word_bits!r}")
    return int(word_bits)


def word_vocabulary(extra_specials: Sequence[str], word_bits: int = DEFAULT_WORD_BITS) -> WordVocabulary:
    """``[MASK]`` and ``extra_specials``, then every signed word in ``[-(2^b - 1), 2^b - 1]``.

    ``word_bits`` must be in ``1..MAX_WORD_BITS`` (:func:`check_word_bits`).

    Examples
    --------
    >>> v = word_vocabulary(["[NONE]"], word_bits=3)
    >>> v.size, v.name_of(v.word_to_id(-7)), v.mask_id
    (19, '-7', 0)
    """
    hi = (1 << check_word_bits(word_bits)) - 1
    return WordVocabulary(specials=(MASK_NAME, *extra_specials, *EXTREME_SPECIALS), lo=-hi, hi=hi)


INT64_MAX = int(np.iinfo(np.int64).max)
INT64_MIN = int(np.iinfo(np.int64).min)
#: Two extreme words get their own tokens (programs use them as +/- infinity sentinels, e.g. bitonic sort's padding).
EXTREME_SPECIALS = ("[+INF]", "[-INF]")


@dataclass(frozen=True)
class WordCodec:
    """Machine words <-> token ids of a :class:`WordVocabulary` built by :func:`word_vocabulary`.

    A word in ``[-(2^b - 1), 2^b - 1]`` is its own token; the int64 extremes (the sentinels +/- infinity) are the
    specials ``[+INF]`` / ``[-INF]``; any other word raises :class:`~machines.errors.VocabularyError`.

    Examples
    --------
    >>> c = WordCodec(word_vocabulary(["[NONE]"], word_bits=3))
    >>> ids = c.enc(np.array([-7, 0, INT64_MAX]))
    >>> c.dec(ids).tolist(), c.enc(5) == c.vocab.word_to_id(5)
    ([-7, 0, 9223372036854775807], True)
    """

    vocab: WordVocabulary

    def enc(self, values: Any) -> Any:
        v = np.asarray(values, dtype=np.int64)
        big, small = v == INT64_MAX, v == INT64_MIN
        if not (big.any() or small.any()):
            return self.vocab.word_to_id(v)
        out = np.where(big, self.vocab.id_of("[+INF]"), self.vocab.id_of("[-INF]")).astype(np.int64)
        mid = ~(big | small)
        out[mid] = self.vocab.word_to_id(v[mid])
        return int(out) if out.ndim == 0 else out

    def dec(self, ids: Any) -> Any:
        t = np.asarray(ids, dtype=np.int64)
        pinf, minf = t == self.vocab.id_of("[+INF]"), t == self.vocab.id_of("[-INF]")
        if not (pinf.any() or minf.any()):
            return self.vocab.id_to_word(t)
        out = np.where(pinf, INT64_MAX, INT64_MIN).astype(np.int64)
        mid = ~(pinf | minf)
        out[mid] = self.vocab.id_to_word(t[mid])
        return int(out) if out.ndim == 0 else out

    def is_word(self, ids: np.ndarray) -> np.ndarray:
        t = np.asarray(ids, dtype=np.int64)
        return self.vocab.is_word(t) | (t == self.vocab.id_of("[+INF]")) | (t == self.vocab.id_of("[-INF]"))


def word_bits_used(*arrays: np.ndarray) -> int:
    """Bits (without sign) of the largest magnitude among integer arrays: the word size a run really needed."""
    m = 0
    for a in arrays:
        if a.size:
            m = max(m, int(np.abs(a).max()))
    return m.bit_length()


def resolve_writes(addr: np.ndarray, val: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every written address, the value of the write with the smallest ``rank`` (a fixed priority).

    ``addr``, ``val``, ``rank`` are flat arrays of equal length; entries with ``addr < 0`` are unused ports.
    Returns ``(addresses, values)`` with unique addresses in increasing order.

    Examples
    --------
    >>> a, v = resolve_writes(np.array([3, 1, 3, -1]), np.array([10, 20, 30, 40]), np.array([2, 0, 1, 3]))
    >>> a.tolist(), v.tolist()
    ([1, 3], [20, 30])

    Notes
    -----
    O(N log N) (one lexsort).  Under EREW/CREW there is one writer per cell and under CRCW-common all writers agree,
    so the lowest-rank rule -- the CRCW-priority rule -- reproduces every supported policy.
    """
    used = addr >= 0
    a, v, r = addr[used], val[used], rank[used]
    if a.size == 0:
        return a.astype(np.int64), v.astype(np.int64)
    order = np.lexsort((r, a))
    a_sorted = a[order]
    first = np.ones(a_sorted.size, dtype=bool)
    first[1:] = a_sorted[1:] != a_sorted[:-1]
    win = order[first]
    return a[win].astype(np.int64), v[win].astype(np.int64)


@dataclass(frozen=True, slots=True)
class Lookups:
    """The "attention reads" of one predictor call: per written position, how many lookups produced its token.

    ``max`` is the largest count over positions (bounded by a constant independent of n for both constructions).
    """

    max: int
    total: int
    positions: int

    def to_json(self) -> dict[str, Any]:
        return {"max": self.max, "total": self.total, "positions": self.positions}


def lookups_of(counts: np.ndarray) -> Lookups:
    """Summarise a per-position lookup count array (only the positions written this step)."""
    if counts.size == 0:
        return Lookups(max=0, total=0, positions=0)
    return Lookups(max=int(counts.max()), total=int(counts.sum()), positions=int(counts.size))


#: Tokens compared per piece by :meth:`HardAttention.first_equal` (it stops at the first piece with a hit).
_SCAN = 1 << 15


class HardAttention:
    """Counting hard attention: the only way a construction's predictor reads its input sequence.

    Every method performs one kind of lookup *and* charges it to the query positions that make it, so the lookup
    counts reported by the predictors are derived from the reads they actually perform, not asserted.  One lookup
    is one hard-attention head evaluated for one query position: it selects one key position by a rule (a fixed
    offset, the first/nearest token equal to something, the best-priority key whose token matches a target) and
    returns the fixed-width window of tokens starting there (width a constant of the program: K registers, an
    (address, value) pair).  A position's own token is its residual stream (:meth:`own`, no lookup).

    ``queries`` arguments are integer arrays of positions (``None``: every position); a call whose lookups have
    shape ``(N, m)`` takes queries of shape ``(N, Q)`` and charges each of the ``Q`` queries of row ``i`` once per
    used lookup of row ``i``.

    Examples
    --------
    >>> att = HardAttention(np.array([5, 0, 7, 0, 9]))
    >>> att.first_equal(np.array([3]), 0), att.window(np.array([[4]]), np.array([1]), 2).tolist()
    (1, [[0, 7]])
    >>> att.counts.tolist()
    [0, 0, 0, 1, 1]

    Notes
    -----
    Every method is numpy-vectorised.  Charges are kept sparse -- a count shared by every position (the global
    heads) plus a list of (query positions, lookups) pairs -- so charging costs O(#queries), not O(len(x));
    :meth:`counts_at` sums them for the positions asked about, :attr:`counts` materialises the whole array.
    Serves Theorems 1 and 4 (the constant-lookup claim).
    """

    __slots__ = ("_x", "_everyone", "_queries", "_lookups")

    def __init__(self, x: np.ndarray) -> None:
        self._x = np.asarray(x, dtype=np.int64)
        self._everyone = 0  # lookups made by every position
        self._queries: list[np.ndarray] = []  # charged positions (flattened), one array per charge
        self._lookups: list[np.ndarray] = []  # the lookups charged to each of them

    @property
    def length(self) -> int:
        """The sequence length (a positional fact every position has, no lookup)."""
        return int(self._x.shape[0])

    @property
    def counts(self) -> np.ndarray:
        """Lookups charged to every position, as one ``(len(x),)`` int64 array (O(len(x)); for inspection)."""
        return self.counts_at(np.arange(self.length, dtype=np.int64))

    def counts_at(self, positions: Any) -> np.ndarray:
        """Lookups charged to each of ``positions`` (an integer array of any shape, or a boolean mask over ``x``);
        O(#charges log + #positions)."""
        pos = np.asarray(positions)
        pos = np.flatnonzero(pos) if pos.dtype == np.bool_ else pos.astype(np.int64, copy=False)
        out = np.full(pos.shape, self._everyone, dtype=np.int64)
        if not self._queries or pos.size == 0:
            return out
        q = np.concatenate(self._queries)
        w = np.concatenate(self._lookups)
        if q.size == 0:
            return out
        order = np.argsort(q, kind="stable")
        q, w = q[order], w[order]
        starts = np.flatnonzero(np.concatenate(([True], q[1:] != q[:-1])))
        keys, sums = q[starts], np.add.reduceat(w, starts)
        at = np.searchsorted(keys, pos)
        hit = at < keys.size
        hit[hit] = keys[at[hit]] == pos[hit]
        out[hit] += sums[at[hit]]
        return out

    def _charge(self, queries: Any, per_row: Any = 1) -> None:
        if queries is None:  # every position makes this lookup (a global head such as "where is the first mask")
            self._everyone += 1
            return
        q = np.asarray(queries, dtype=np.int64)
        if q.size == 0:
            return
        rows = np.asarray(per_row, dtype=np.int64)
        w = np.broadcast_to(rows.reshape(-1, *([1] * (q.ndim - 1))) if rows.ndim else rows, q.shape).ravel()
        keep = w != 0
        if not keep.all():
            q, w = q.ravel()[keep], w[keep]
            if q.size == 0:
                return
        self._queries.append(q.ravel().copy())
        self._lookups.append(np.array(w, dtype=np.int64))

    def own(self) -> np.ndarray:
        """A copy of the sequence as every position's own token (the residual stream; no lookup charged)."""
        return self._x.copy()

    def first_equal(self, queries: Any, token: int, lo: int = 0) -> int:
        """Position of the first ``token`` at or after ``lo`` (-1 if none); one lookup per query."""
        self._charge(queries)
        start = lo if lo >= 0 else max(self.length + lo, 0)  # as the slice x[lo:]
        for a in range(start, self.length, _SCAN):  # scan in cache-sized pieces, stop at the first hit
            piece = self._x[a:a + _SCAN] == token
            i = int(piece.argmax())
            if piece[i]:
                return a + i
        return -1

    def any_equal(self, queries: Any, token: int, lo: int = 0) -> bool:
        """Whether ``token`` occurs at or after ``lo``; one lookup per query."""
        return self.first_equal(queries, token, lo) >= 0

    def all_equal(self, queries: Any, token: int, lo: int = 0) -> np.ndarray:
        """Positions holding ``token`` at or after ``lo``, in order.  Each query attends to the nearest one on its
        left (its record's marker), so a query makes one lookup."""
        self._charge(queries)
        return np.flatnonzero(self._x[lo:] == token) + lo

    def window(self, queries: Any, starts: Any, width: int) -> np.ndarray:
        """Tokens ``x[s : s + width]`` for every ``s`` in ``starts`` (shape ``starts.shape + (width,)``): one
        lookup per query (a fixed-offset head reading a fixed-width window)."""
        st = np.asarray(starts, dtype=np.int64)
        self._charge(queries, 1)
        return self._x[st[..., None] + np.arange(width, dtype=np.int64)]

    def replicate(self, queries: Any, sources: Any, extra: int = 0) -> None:
        """Each query re-performs, in parallel, the lookups its source position has made so far, plus ``extra`` of its
        own (e.g. a written cell recomputing its writer's step and finding that writer).  Lookups both already made
        (the global ones) are shared: the query's count becomes ``max(own, source) + extra``.  ``queries`` unique.
        """
        q = np.asarray(queries, dtype=np.int64).ravel()
        src = np.asarray(sources, dtype=np.int64).ravel()
        if q.size:
            _, last = np.unique(q[::-1], return_index=True)  # a repeated query ends with its last source's count
            keep = np.sort(q.size - 1 - last)
            q, src = q[keep], src[keep]
            own = self.counts_at(q)
            delta = np.maximum(own, self.counts_at(src)) + int(extra) - own
            self._queries.append(q.copy())
            self._lookups.append(delta)

    def latest(self, queries: Any, targets: Any, key_pos: np.ndarray, priority: np.ndarray,
               default_pos: np.ndarray, key_of: Any, value_offset: int = 1) -> np.ndarray:
        """Latest-write lookup: for every target ``a`` (``targets`` shape ``(N, m)``; ``a < 0`` is an unused port),
        the token ``value_offset`` after the highest-``priority`` key position ``k`` whose decoded token
        ``key_of(x[k]) == a`` (an (address, value) record), or the token at ``default_pos[a]`` if no key matches.
        One lookup per used target, charged to its query row.  Unused targets give 0.

        Examples
        --------
        >>> att = HardAttention(np.array([10, 11, 1, 99, 1, 77]))   # cells 10, 11; records (1, 99), (1, 77)
        >>> att.latest(np.array([[5]]), np.array([[1, 0, -1]]), np.array([2, 4]), np.array([0, 1]),
        ...            np.array([0, 1]), lambda ids: ids).tolist(), att.counts[5]
        ([[77, 10, 0]], np.int64(2))
        """
        t = np.asarray(targets, dtype=np.int64)
        nq = int(np.asarray(queries).shape[0])
        if t.ndim != 2:
            t = t.reshape(nq, -1) if nq else t.reshape(0, 0)
        used = t >= 0
        self._charge(queries, used.sum(axis=1))
        dpos = np.asarray(default_pos, dtype=np.int64)
        size = int(dpos.shape[0])
        best_pos = dpos.copy()
        kp = np.asarray(key_pos, dtype=np.int64).ravel()
        if kp.size and size:
            keys = np.asarray(key_of(self._x[kp]), dtype=np.int64).reshape(-1)
            ok = (keys >= 0) & (keys < size)
            kp, keys, pr = kp[ok], keys[ok], np.asarray(priority, dtype=np.int64).ravel()[ok]
            if kp.size:
                order = np.lexsort((-pr, keys))  # per address, highest priority first
                k_sorted = keys[order]
                first = np.ones(k_sorted.size, dtype=bool)
                first[1:] = k_sorted[1:] != k_sorted[:-1]
                win = order[first]
                best_pos[keys[win]] = kp[win] + value_offset
        inside = used & (t < size)
        if not size:
            return np.zeros(t.shape, dtype=np.int64)
        return np.where(inside, self._x[best_pos[np.where(inside, t, 0)]], 0).astype(np.int64)
