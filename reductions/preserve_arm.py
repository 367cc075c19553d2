"""Theorem 6, the ARM side: emit the PRESERVE answer left to right from the prompt, counting work and depth.

An ARM sees the prompt -- ``x_0`` and the whole edit log -- and must write ``x_T`` one token at a time.  Nothing in
the prompt sits at final position ``j``: to know what does, the solver walks ``j`` back through the rounds.  With a
normalised log (see :mod:`reductions.preserve`) round t's widths ``(1 - delete) * (1 + insert)`` are known from the
log, so the *precomputation* (one prefix sum per round) is independent across rounds; the walk is not: the position
looked up in round ``t - 1`` is the answer of the lookup in round ``t``.  So each output token carries a chain of
sequentially dependent lookups -- its **dependency depth** -- that ends at ``x_0`` (depth T: the token is an
original) or at the round that last made it a mask (an insert or a remask).

This is the project's solver, an illustration: that a constant-depth ARM cannot do better is the paper's
conjectural claim (the reduction from a known hard problem is not demonstrated; docs/theorem6.md says why).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from reductions.preserve import MASK, PreserveAnswer, PreserveInstance

__all__ = ["ArmStyleSolution", "solve_arm_style"]


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
    >>> from reductions.preserve import generate_instance, solve_bruteforce
    >>> inst = generate_instance(5, 7, seed=1)
    >>> sol = solve_arm_style(inst)
    >>> sol.answer == solve_bruteforce(inst), sol.max_depth
    (True, 7)

    Notes
    -----
    Work ``sum_t |x_t|`` + ``sum_j depth_j`` lookups of O(log L) each; dependency depth up to T per token.
    Theorem 6 (the ARM side).
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
