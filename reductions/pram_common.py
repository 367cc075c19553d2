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
from reductions.errors import InstanceTooLarge, UnsupportedProgram

__all__ = ["DEFAULT_MAX_LENGTH", "DEFAULT_WORD_BITS", "SUPPORTED_POLICIES", "Lookups", "WordCodec", "check_length",
           "check_policy", "default_policy", "resolve_writes", "word_bits_used", "word_vocabulary"]

#: Words are signed integers of this many bits (plus sign) unless the caller asks otherwise.
DEFAULT_WORD_BITS = 40
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


def word_vocabulary(extra_specials: Sequence[str], word_bits: int = DEFAULT_WORD_BITS) -> WordVocabulary:
    """``[MASK]`` and ``extra_specials``, then every signed word in ``[-(2^b - 1), 2^b - 1]``.

    Examples
    --------
    >>> v = word_vocabulary(["[NONE]"], word_bits=3)
    >>> v.size, v.name_of(v.word_to_id(-7)), v.mask_id
    (19, '-7', 0)
    """
    hi = (1 << int(word_bits)) - 1
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
