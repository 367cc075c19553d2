"""The Dyck sampler against ``DyckGenerator.support()``, in both directions (issue 13 §3, class 4).

The sampler (``DyckGenerator.__call__``, the machine run :func:`generate`, the fast path :func:`sample_word`) and
``support()`` are separate code.  Here:

* ``support()`` is held against a plain enumeration of the process in the module docstring ("insert ``l l^-1`` at
  an anchor uniform in ``0..|w|``, ``l`` uniform among the 2k letters"), so its exact output distribution is known;
* each sampler is drawn many times with a fixed seed, every drawn word must lie in the support, every support word
  must be drawn, and the counts must fit the exact probabilities (a chi-square statistic against a generous
  threshold, about 7 standard deviations above its mean: a correct sampler fails with probability far below 1e-6,
  so the verdict does not flip with the seed; a sampler that can never draw some word, or draws it at half its
  probability, fails at any seed).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from machines.transition import apply_g_reference
from reductions.dyck_generator import DyckGenerator, generate, reachable_outputs, sample_word, start_sequence
from reductions.dyck_two_sided import letters

Word = tuple[int, ...]


def plain_distribution(k: int, n: int) -> dict[Word, Fraction]:
    """Exact output distribution of the target-length process, by enumerating every choice sequence."""
    rounds = n // 2
    dist: dict[Word, Fraction] = {}
    anchors = [range(2 * r + 1) for r in range(rounds)]
    each = Fraction(1, math.prod(2 * r + 1 for r in range(rounds)) * (2 * k) ** rounds)
    for choice in itertools.product(*anchors):
        for ls in itertools.product(letters(k), repeat=rounds):
            w: list[int] = []
            for a, l in zip(choice, ls, strict=True):
                w[a:a] = [l, -l]
            dist[tuple(w)] = dist.get(tuple(w), Fraction(0)) + each
    return dist


def support_distribution(gen: DyckGenerator) -> dict[Word, Fraction]:
    """The output distribution the machine gives: path probabilities from ``support()`` and the reference ``g``."""
    from reductions.dyck_generator import tokens_to_word

    dist: dict[Word, Fraction] = {}
    frontier = {tuple(start_sequence().tolist()): Fraction(1)}
    while frontier:
        nxt_frontier: dict[tuple[int, ...], Fraction] = {}
        for x, px in frontier.items():
            for pred, p in gen.support(x):
                ins = pred.insert.tolist() if pred.insert is not None else None
                nxt = tuple(apply_g_reference(x, pred.y.tolist(), None, ins, None, mask_id=0))
                if nxt == x:
                    w = tokens_to_word(list(x))
                    dist[w] = dist.get(w, Fraction(0)) + px * p
                else:
                    nxt_frontier[nxt] = nxt_frontier.get(nxt, Fraction(0)) + px * p
        frontier = nxt_frontier
    return dist


def chi_square_ok(counts: Counter[Word], dist: dict[Word, Fraction], total: int) -> tuple[bool, str]:
    stray = set(counts) - set(dist)
    if stray:
        return False, f"drawn words outside the support: {sorted(stray)[:3]}"
    missing = [w for w in dist if counts[w] == 0]
    if missing:
        return False, f"support words never drawn: {missing[:3]}"
    chi2 = sum((counts[w] - total * float(p)) ** 2 / (total * float(p)) for w, p in dist.items())
    df = len(dist) - 1
    limit = df + 7 * math.sqrt(2 * df) + 10
    return chi2 <= limit, f"chi2 = {chi2:.1f} (df {df}, limit {limit:.1f})"


CASES = [(1, 4), (1, 6), (2, 4), (3, 2)]


@pytest.mark.parametrize("k, n", CASES)
def test_support_gives_the_plain_process_distribution(k: int, n: int) -> None:
    gen = DyckGenerator(k=k, length=n)
    exact = support_distribution(gen)
    assert exact == plain_distribution(k, n) and sum(exact.values()) == 1
    assert sorted(exact) == sorted(reachable_outputs(gen, n).outputs[n])


@pytest.mark.parametrize("k, n", CASES)
def test_fast_sampler_draws_every_support_word_at_its_probability(k: int, n: int) -> None:
    exact = support_distribution(DyckGenerator(k=k, length=n))
    total = 200 * len(exact)
    rng = np.random.default_rng(20261204)
    counts = Counter(sample_word(k, n, seed=rng) for _ in range(total))
    ok, why = chi_square_ok(counts, exact, total)
    assert ok, why


@pytest.mark.parametrize("k, n", [(1, 4), (2, 4)])
def test_machine_sampler_draws_every_support_word_at_its_probability(k: int, n: int) -> None:
    exact = support_distribution(DyckGenerator(k=k, length=n))
    total = 80 * len(exact)
    counts = Counter(generate(k, n, seed=s)[0] for s in range(total))
    ok, why = chi_square_ok(counts, exact, total)
    assert ok, why


STATES = [[1], [1, 3, 4], [1, 3, 4, 5, 6], [1, 0], [1, 3, 4, 0], [1, 0, 3, 4], [1, 5, 0], [1, 3, 6, 0, 5, 4]]


@pytest.mark.parametrize("x", STATES, ids=[str(x) for x in STATES])
@pytest.mark.parametrize("length", [None, 6])
def test_predictor_draws_follow_its_support_state_by_state(x: list[int], length: int | None) -> None:
    gen = DyckGenerator(k=2, length=length, stop=Fraction(1, 3))
    if length is not None and sum(t != 0 for t in x[1:]) > length:
        pytest.skip("state longer than the target")
    sup = {(tuple(p.y.tolist()), tuple(p.insert.tolist())): q for p, q in gen.support(x)}
    assert sum(sup.values()) == 1
    total = 300 * len(sup)
    rng = np.random.default_rng(7)
    draws: Counter[tuple[tuple[int, ...], tuple[int, ...]]] = Counter()
    for _ in range(total):
        p = gen(np.array(x), rng)
        draws[(tuple(p.y.tolist()), tuple(p.insert.tolist()))] += 1
    ok, why = chi_square_ok(draws, {k_: v for k_, v in sup.items() if v > 0}, total)  # type: ignore[arg-type]
    assert ok, why
