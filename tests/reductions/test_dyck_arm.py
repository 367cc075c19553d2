"""Theorem 5, ARM side: the EOS reduction on every ARM, measured window thresholds, state growth, ARM sampling."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reductions.dyck_arm import (
    EOS,
    AbelianARM,
    BlockWindowARM,
    DistributionARM,
    GreedyWindowARM,
    StackARM,
    SupportARM,
    Witness,
    arm_suite,
    capped_stack_distribution,
    eos_recogniser,
    first_failures,
    in_support,
    reduction_check,
    reduction_witness,
    verify_witness,
)
from reductions.dyck_arm_run import ARMSampler, sample_arm
from reductions.dyck_two_sided import inverse, is_dyck, letters, reduce_word, state_growth
from reductions.errors import InvalidInstance

SUITE = arm_suite(2, windows=(1, 2, 3, 4)) + arm_suite(3, windows=(2,))


def _plain_failures(arm: SupportARM, max_length: int) -> tuple[int | None, int | None]:
    """Shortest emitted non-member / missed member by enumerating every word (no state merging)."""
    nonmember = missed = None
    for n in range(max_length + 1):
        for w in product(letters(arm.k), repeat=n):
            emitted, member = in_support(arm, w), is_dyck(w)
            if emitted and not member and nonmember is None:
                nonmember = n
            if member and not emitted and missed is None:
                missed = n
    return nonmember, missed


@pytest.mark.parametrize("arm", arm_suite(2, windows=(1, 2, 3, 4)), ids=lambda a: a.name)
def test_search_with_merged_states_equals_plain_enumeration(arm: SupportARM) -> None:
    rep = first_failures(arm, 6)
    got = (len(rep.nonmember.word) if rep.nonmember else None, len(rep.missed.word) if rep.missed else None)
    assert got == _plain_failures(arm, 6)
    for w in (rep.nonmember, rep.missed):
        assert w is None or verify_witness(arm, w)


def test_odd_windows_match_the_derivation() -> None:
    from proofs_check.claims.thm5 import _predicted

    for w in (1, 3, 5):
        for arm in (GreedyWindowARM(k=2, w=w), BlockWindowARM(k=2, w=w)):
            rep = first_failures(arm, w + 3)
            got = (len(rep.nonmember.word) if rep.nonmember else None, len(rep.missed.word) if rep.missed else None)
            assert got == _predicted(arm), arm.name


@pytest.mark.parametrize("w", [2, 4, 6])
def test_window_thresholds_match_the_derivation(w: int) -> None:
    g = first_failures(GreedyWindowARM(k=2, w=w), w + 4)
    b = first_failures(BlockWindowARM(k=2, w=w), w + 4)
    assert g.nonmember is not None and len(g.nonmember.word) == w + 1
    assert g.missed is not None and len(g.missed.word) == w + 2
    assert b.nonmember is None and b.missed is not None and len(b.missed.word) == w + 2


def test_exact_and_abelian_arms() -> None:
    assert first_failures(StackARM(k=3), 6).exact
    a = first_failures(AbelianARM(k=2), 8)
    assert a.nonmember == Witness("emits non-member", (1, 2, -1, -2)) and a.missed is None
    assert first_failures(AbelianARM(k=1), 8).exact  # for k = 1 counting is enough


@pytest.mark.parametrize("arm", SUITE, ids=lambda a: f"{a.name} k={a.k}")
def test_eos_reduction_on_every_arm(arm: SupportARM) -> None:
    rc = reduction_check(arm, 5 if arm.k == 2 else 4)
    assert rc.ok and rc.verified == rc.errors
    if isinstance(arm, StackARM):
        assert rc.exact and rc.errors == 0
    else:
        assert not rc.exact and rc.errors > 0


@given(st.sampled_from(SUITE), st.data())
def test_every_recogniser_error_gives_a_verified_witness(arm: SupportARM, data: st.DataObject) -> None:
    w = tuple(data.draw(st.lists(st.sampled_from(letters(arm.k)), max_size=14)))
    witness = reduction_witness(arm, w)
    wrong = eos_recogniser(arm)(w) != is_dyck(w)
    assert (witness is not None) == wrong
    if witness is not None:
        assert verify_witness(arm, witness)
        assert len(witness.word) <= 2 * len(w) + 2


def test_a_false_witness_is_refused() -> None:
    arm = StackARM(k=2)
    assert not verify_witness(arm, Witness("emits non-member", (1, 2)))
    assert not verify_witness(arm, Witness("misses member", (1, -1)))
    assert not verify_witness(arm, Witness("other", ()))


@pytest.mark.parametrize("arm", SUITE, ids=lambda a: f"{a.name} k={a.k}")
def test_support_never_empty_and_state_key_is_sound(arm: SupportARM) -> None:
    """Non-empty support on reachable prefixes; equal keys give equal supports after every 2-letter continuation."""
    by_key: dict[object, tuple[tuple[int, ...], ...]] = {}
    for n in range(6 if arm.k == 2 else 4):
        for p in product(letters(arm.k), repeat=n):
            sup = arm.next_support(p)
            assert sup == tuple(sorted(sup))
            if all(s in arm.next_support(p[:i]) for i, s in enumerate(p)):
                assert sup, p
            sig = tuple(arm.next_support(p + q) for m in range(3) for q in product(letters(arm.k), repeat=m))
            assert by_key.setdefault(arm.state_key(p), sig) == sig


def test_state_growth_closed_form_and_lower_bound() -> None:
    for k in (2, 3):
        for n in range(7):
            closed = sum(1 if r == 0 else 2 * k * (2 * k - 1) ** (r - 1) for r in range(n % 2, n + 1, 2))
            assert state_growth(k, n) == closed
    forms = sorted({reduce_word(p) for p in product(letters(2), repeat=4)})
    assert len(forms) == state_growth(2, 4)
    for r in forms:  # the suffix r^-1 separates r from every other form
        assert sum(is_dyck(q + inverse(r)) for q in forms) == 1


@given(st.sampled_from(SUITE), st.integers(0, 2**16))
def test_arm_samples_lie_in_the_support(arm: SupportARM, seed: int) -> None:
    w, emitted = sample_arm(arm, seed=seed, max_len=12)
    for i, s in enumerate(w):
        assert s in arm.next_support(w[:i])
    if emitted:
        assert in_support(arm, w)
        if isinstance(arm, StackARM | BlockWindowARM):
            assert is_dyck(w)


def test_arm_sampler_is_pure() -> None:
    sampler = ARMSampler(arm=GreedyWindowARM(k=2, w=2), max_len=8)
    x = np.array([1, 3, 5], dtype=np.int64)
    a, b = sampler(x, np.random.default_rng(1)), sampler(x.copy(), np.random.default_rng(1))
    assert np.array_equal(a.y, b.y) and x.tolist() == [1, 3, 5]
    assert sampler(np.array([1] + [3] * 8), np.random.default_rng(0)).halt


def test_eos_symbol_and_bad_windows() -> None:
    assert EOS == 0 and EOS in StackARM(k=2).next_support(())
    for w in (0, -1):
        with pytest.raises(InvalidInstance):
            GreedyWindowARM(k=2, w=w)
    with pytest.raises(InvalidInstance):
        StackARM(k=0)


def test_reduction_a_runs_on_any_arm_that_reports_its_distribution() -> None:
    """No ``next_support`` needed: a sampler known only by ``prefix -> {symbol: probability}`` is enough."""
    from fractions import Fraction

    stack = StackARM(k=2)

    def stack_probs(p: tuple[int, ...]) -> dict[int, Fraction]:
        sup = stack.next_support(p)
        return {s: Fraction(1, len(sup)) for s in sup}

    via = DistributionARM(k=2, distribution=stack_probs, label="stack via probabilities")
    a, b = reduction_check(via, 5), reduction_check(stack, 5)
    assert (a.words, a.errors, a.exact) == (b.words, b.errors, b.exact) == (1365, 0, True)
    # an inexact distribution-only ARM: EOS after every even-length prefix, probabilities as floats
    even = DistributionARM(k=2, distribution=lambda p: {s: 0.2 for s in ((EOS,) if len(p) % 2 == 0 else ())
                                                         + letters(2)}, label="even")
    rc = reduction_check(even, 5)
    assert rc.errors > 0 and rc.verified == rc.errors and rc.ok and not rc.exact
    # a distribution with zero-probability entries: the support is the positive part only
    capped = DistributionARM(k=2, distribution=capped_stack_distribution(2, 2), label="cap 2")
    rep = first_failures(capped, 8)
    assert rep.nonmember is None and rep.missed is not None and len(rep.missed.word) == 6
    assert verify_witness(capped, rep.missed)


def test_distribution_arm_reports_every_bad_entry() -> None:
    bad = DistributionARM(k=2, distribution=lambda p: {3: 1, -1: -1, 1: "x"}, label="bad")
    with pytest.raises(InvalidInstance) as exc:
        bad.next_support(())
    msg = str(exc.value)
    assert "symbol 3 is outside" in msg and "negative probability" in msg and "non-numeric" in msg
    with pytest.raises(InvalidInstance):
        DistributionARM(k=0, distribution=lambda p: {})


def test_reduction_check_asks_arm_then_language_then_arm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reduction (a) in three passes: the ARM reads every word, the language judges every word once (plus one fresh
    query per witness word), the ARM's support is walked along the witnesses; then the search of (b).  A spy on both
    sides records who is asked, in order."""
    import reductions.dyck_arm as da
    from reductions.dyck_two_sided import DyckLanguage

    log: list[str] = []
    inner, lang = GreedyWindowARM(k=2, w=2), DyckLanguage(2)

    class SpyARM:
        k, name = 2, inner.name

        def next_support(self, prefix: tuple[int, ...]) -> tuple[int, ...]:
            log.append("arm")
            return inner.next_support(prefix)

        def state_key(self, prefix: tuple[int, ...]) -> object:
            return inner.state_key(prefix)

    class SpyLanguage:
        k, letters, start = 2, lang.letters, lang.start
        step, state, accepts, completion = lang.step, lang.state, lang.accepts, lang.completion

        def contains(self, word: tuple[int, ...]) -> bool:
            log.append("language")
            return is_dyck(word)

    monkeypatch.setattr(da, "first_failures",
                        lambda arm, *a, **kw: log.append("search") or first_failures(inner, *a, **kw))
    rc = da.reduction_check(SpyARM(), 4, language=SpyLanguage())
    runs = [s for i, s in enumerate(log) if i == 0 or log[i - 1] != s]
    assert runs == ["arm", "language", "arm", "search"]
    words = sum(4 ** n for n in range(5))
    assert rc.words == words and log.count("language") == words + rc.errors and rc.errors > 0
    assert log.index("language") == words  # the first pass: one support query per word (= per distinct prefix)
    assert rc == reduction_check(inner, 4)
