"""Theorem 6, the ARM side: emit the PRESERVE answer from the prompt, counting work and dependency depth.

An ARM sees the prompt -- ``x_0`` and the whole edit log -- and must write ``x_T``.  Nothing in the prompt sits at
final position ``j``: to know what does, a solver traces ``j`` back through the rounds.  With a normalised log
(see :mod:`reductions.thm6_preserve`) round t's widths ``(1 - delete) * (1 + insert)`` are known from the log, so each
round's backward position map is a function of the log alone, and it is **monotone**.  Two solvers:

* :func:`solve_arm_style` walks ``j`` back one round at a time: the position looked up in round ``t - 1`` is the
  answer of the lookup in round ``t``.  Its per-token chain of dependent lookups -- its **dependency depth** -- ends
  at ``x_0`` (depth T: the token is an original) or at the round that last made it a mask (an insert or a remask).
  On instances from :func:`reductions.thm6_preserve.generate_instance`, which never remasks an original token, the
  largest depth is exactly T *by construction* (every original is resolved through all T rounds).
* :func:`solve_parallel` shows that this walk **can** be parallelised: maps compose associatively, so pointer
  doubling (a balanced tree of compositions, all pairs of one level at once) composes the T round maps in
  ``ceil(log2 T)`` dependent levels, plus one read of ``x_0``.

So "depth T" is a property of the sequential walk, not a lower bound: with unbounded parallel work, depth
``O(log T)`` suffices.  The paper's claim concerns *constant-depth* Transformers (TC0), where even ``log T``
dependent steps are not available; that no constant-depth ARM can resolve PRESERVE is the paper's conditional claim,
which this project neither proves nor reduces to a known hard problem (docs/theorem6.md says why).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from reductions.thm6_preserve import MASK, PreserveAnswer, PreserveInstance

__all__ = ["ArmStyleSolution", "ParallelSolution", "solve_arm_style", "solve_parallel"]


@dataclass(frozen=True, slots=True)
class ArmStyleSolution:
    """The answer plus the solver's counters.

    ``depth[j]``: sequentially dependent lookups for output token ``j``; ``lookups`` = ``sum(depth)``;
    ``precompute`` = ``sum_t |x_t|`` (the per-round prefix sums, parallel across rounds).
    """

    answer: PreserveAnswer
    depth: tuple[int, ...]
    lookups: int
    precompute: int

    @property
    def max_depth(self) -> int:
        return max(self.depth, default=0)


def solve_arm_style(inst: PreserveInstance) -> ArmStyleSolution:
    """Emit ``x_T`` and the origins left to right, each token resolved by walking back through the rounds.

    Examples
    --------
    >>> from reductions.thm6_preserve import generate_instance, solve_bruteforce
    >>> inst = generate_instance(5, 7, seed=1)
    >>> sol = solve_arm_style(inst)
    >>> sol.answer == solve_bruteforce(inst), sol.max_depth
    (True, 7)

    Notes
    -----
    Work ``sum_t |x_t|`` + ``sum_j depth_j`` lookups of O(log L) each; dependency depth up to T per token (the
    sequential walk's depth -- not a lower bound, see :func:`solve_parallel`).  Theorem 6 (the ARM side).
    """
    ends: list[list[int]] = []
    precompute = 0
    for r in inst.rounds:
        widths = [(1 - d) * (1 + i) for i, d in zip(r.insert, r.delete, strict=True)]
        precompute += len(widths)
        ends.append(list(accumulate(widths)))
    final_length = ends[-1][-1] if ends and ends[-1] else (len(inst.x0) if not ends else 0)
    finals: list[int] = []
    origins: list[int] = []
    depths: list[int] = []
    for j in range(final_length):
        pos = j
        chain: list[tuple[int, int]] = []  # (round, source position) from round T-1 downwards
        value, origin = MASK, -1
        reached_start = True
        for t in range(inst.T - 1, -1, -1):
            p = bisect_right(ends[t], pos)
            start = ends[t][p] - (1 - inst.rounds[t].delete[p]) * (1 + inst.rounds[t].insert[p])
            chain.append((t, p))
            if pos - start == 1 or inst.rounds[t].remask[p]:  # the inserted mask, or a remasked token
                reached_start = False
                break
            pos = p
        if reached_start:
            value = inst.x0[pos]
            origin = pos if value != MASK else -1
            above = chain
        else:
            above = chain[:-1]
        for t, p in reversed(above):  # forward again: a mask kept by round t is unmasked to y_t
            if value == MASK:
                value, origin = inst.rounds[t].y[p], -1
        finals.append(value)
        origins.append(origin)
        depths.append(len(chain))
    return ArmStyleSolution(answer=PreserveAnswer(final=tuple(finals), origin=tuple(origins)), depth=tuple(depths),
                            lookups=sum(depths), precompute=precompute)


# -- pointer doubling ---------------------------------------------------------------------------------------------
_NOFILL = -2  # "no pending fill" (values are >= 0 and MASK is -1)


@dataclass(frozen=True, slots=True)
class _Map:
    """A composed backward map from positions of ``x_hi`` to ``x_lo``, as two int arrays (one entry per position
    of ``x_hi``).  ``src[q] >= 0``: the token at q comes from position ``src[q]`` of ``x_lo``, and if that token is a
    mask it becomes ``fill[q]`` (unless ``fill[q] == _NOFILL``).  ``src[q] == -1``: the token at q was created in
    between (an inserted or remasked mask, possibly filled later): its value is ``fill[q]`` (MASK if ``_NOFILL``)."""

    src: np.ndarray
    fill: np.ndarray


def _round_map(inst: PreserveInstance, t: int) -> _Map:
    """Round t's backward map ``x_{t+1} -> x_t`` (from the log alone)."""
    r = inst.rounds[t]
    delete, insert = np.asarray(r.delete, dtype=np.int64), np.asarray(r.insert, dtype=np.int64)
    remask, y = np.asarray(r.remask, dtype=np.int64), np.asarray(r.y, dtype=np.int64)
    widths = (1 - delete) * (1 + insert)
    starts = np.cumsum(widths) - widths
    size = int(widths.sum())
    src = np.full(size, -1, dtype=np.int64)
    fill = np.full(size, _NOFILL, dtype=np.int64)
    kept = np.flatnonzero(delete == 0)
    src[starts[kept]] = np.where(remask[kept] == 1, -1, kept)  # a remasked token is a fresh mask
    fill[starts[kept]] = np.where(remask[kept] == 1, _NOFILL, y[kept])
    return _Map(src=src, fill=fill)


def _identity(size: int) -> _Map:
    return _Map(src=np.arange(size, dtype=np.int64), fill=np.full(size, _NOFILL, dtype=np.int64))


def _compose(lo: _Map, hi: _Map) -> _Map:
    """``lo`` after ``hi`` (hi maps x_c -> x_b, lo maps x_b -> x_a): one parallel step, every position at once.

    The earlier round's fill applies first, so a pending fill of ``lo`` wins over ``hi``'s."""
    from_lo = hi.src >= 0
    j = np.where(from_lo, hi.src, 0)
    lo_src = lo.src[j] if lo.src.shape[0] else np.full(j.shape[0], -1, dtype=np.int64)
    lo_fill = lo.fill[j] if lo.fill.shape[0] else np.full(j.shape[0], _NOFILL, dtype=np.int64)
    src = np.where(from_lo, lo_src, -1)
    fill = np.where(from_lo & (lo_fill != _NOFILL), lo_fill, hi.fill)
    return _Map(src=src, fill=fill)


@dataclass(frozen=True, slots=True)
class ParallelSolution:
    """The answer, the number of dependent parallel steps (``depth``: composition levels + the read of ``x_0``) and
    the total work (array entries touched over all compositions)."""

    answer: PreserveAnswer
    depth: int
    levels: int
    work: int


def solve_parallel(inst: PreserveInstance) -> ParallelSolution:
    """Resolve every final position at once by pointer doubling over the T round maps.

    Level 0 holds the T backward round maps (each computed from the log alone: a prefix sum, parallel across
    rounds).  Each level composes neighbouring pairs -- all pairs of a level at once, since map composition is
    associative -- so ``ceil(log2 T)`` levels leave one map ``x_T -> x_0``; one more step reads ``x_0``.

    Examples
    --------
    >>> from reductions.thm6_preserve import generate_instance, solve_bruteforce
    >>> inst = generate_instance(5, 7, seed=1)
    >>> sol = solve_parallel(inst)
    >>> sol.answer == solve_bruteforce(inst), sol.levels, sol.depth
    (True, 3, 4)

    Notes
    -----
    ``ceil(log2 T) + 1`` dependent steps; work O(sum_t |x_t| * log T) with numpy gathers.  Theorem 6: the sequential
    walk of :func:`solve_arm_style` (depth T) is not forced -- but ``log T`` is still not constant depth.
    """
    maps = [_round_map(inst, t) for t in range(inst.T)]
    if not maps:
        maps = [_identity(len(inst.x0))]
    levels = 0
    work = 0
    while len(maps) > 1:  # one level: every neighbouring pair composed "in parallel"
        nxt = []
        for i in range(0, len(maps) - 1, 2):
            nxt.append(_compose(maps[i], maps[i + 1]))
            work += int(maps[i + 1].src.shape[0])
        if len(maps) % 2:
            nxt.append(maps[-1])
        maps = nxt
        levels += 1
    total = maps[0]
    x0 = np.asarray(inst.x0, dtype=np.int64)
    from_x0 = total.src >= 0
    j = np.where(from_x0, total.src, 0)
    base = x0[j] if x0.shape[0] else np.full(j.shape[0], MASK, dtype=np.int64)
    value = np.where(from_x0, base, MASK)
    filled = (value == MASK) & (total.fill != _NOFILL)
    value = np.where(filled, total.fill, value)
    origin = np.where(from_x0 & ~filled & (value != MASK), j, -1)
    work += int(total.src.shape[0])
    answer = PreserveAnswer(final=tuple(int(v) for v in value), origin=tuple(int(o) for o in origin))
    return ParallelSolution(answer=answer, depth=levels + 1, levels=levels, work=work)
