"""Two-sided Dyck-k: the three recognisers agree, the enumerators agree, the WORD syntax and its errors."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reductions.dyck_matrix import code_of_word, dyck_codes_bruteforce, entry_bound, word_of_code
from reductions.dyck_two_sided import (
    check_k,
    dyck_count,
    dyck_words_bruteforce,
    format_letters,
    format_word,
    inverse,
    is_dyck,
    is_dyck_by_cancellation,
    letters,
    parse_word,
    reduce_word,
)
from reductions.errors import InstanceTooLarge, InvalidInstance

KS = st.integers(min_value=1, max_value=4)


@st.composite
def words(draw: st.DrawFn, max_len: int = 24) -> tuple[int, tuple[int, ...]]:
    k = draw(KS)
    w = draw(st.lists(st.sampled_from(letters(k)), max_size=max_len))
    return k, tuple(w)


@st.composite
def dyck_words(draw: st.DrawFn) -> tuple[int, tuple[int, ...]]:
    """Members built by inserting cancelling pairs (a different route from the recognisers)."""
    k = draw(KS)
    w: list[int] = []
    for _ in range(draw(st.integers(0, 10))):
        at = draw(st.integers(0, len(w)))
        s = draw(st.sampled_from(letters(k)))
        w[at:at] = [s, -s]
    return k, tuple(w)


@given(words())
def test_stack_and_cancellation_recognisers_agree(kw: tuple[int, tuple[int, ...]]) -> None:
    _, w = kw
    assert is_dyck(w) == is_dyck_by_cancellation(w)


@given(dyck_words())
def test_pair_insertions_are_members(kw: tuple[int, tuple[int, ...]]) -> None:
    _, w = kw
    assert is_dyck(w) and is_dyck_by_cancellation(w)


@given(words())
def test_reduction_is_reduced_and_equal_in_the_group(kw: tuple[int, tuple[int, ...]]) -> None:
    _, w = kw
    r = reduce_word(w)
    assert all(a != -b for a, b in zip(r, r[1:], strict=False))
    assert is_dyck(w + inverse(r)) and is_dyck(inverse(w) + r)


@pytest.mark.parametrize(("k", "n"), [(1, 0), (1, 6), (2, 0), (2, 1), (2, 4), (2, 6), (3, 3), (3, 4)])
def test_bruteforce_matrix_enumeration_equals_plain_enumeration(k: int, n: int) -> None:
    plain = [w for w in product(letters(k), repeat=n) if is_dyck_by_cancellation(w)]
    assert dyck_words_bruteforce(k, n) == plain  # both in canonical order
    assert len(plain) == dyck_count(k, n)


def test_counts_match_published_values() -> None:
    # returns to the identity of the simple random walk on F_2 and F_3 (even lengths)
    assert [dyck_count(2, n) for n in range(0, 13, 2)] == [1, 4, 28, 232, 2092, 19864, 195352]
    assert [dyck_count(3, n) for n in range(0, 11, 2)] == [1, 6, 66, 876, 12786, 197796]
    assert all(dyck_count(k, n) == 0 for k in (1, 2, 3) for n in (1, 3, 9))


def test_codes_roundtrip_and_overflow_guard() -> None:
    for w in product(letters(2), repeat=3):
        assert word_of_code(code_of_word(w, 2), 2, 3) == w
    assert entry_bound(3, 10) < 1 << 62
    with pytest.raises(InstanceTooLarge):
        dyck_codes_bruteforce(3, 12)
    with pytest.raises(InstanceTooLarge):
        dyck_words_bruteforce(2, 20)


def test_parse_word_forms() -> None:
    assert parse_word("1 -1 2 -2", 2) == (1, -1, 2, -2)
    assert parse_word("1,-1,+2, -2", 2) == (1, -1, 2, -2)
    assert parse_word("ab BA", 2) == (1, 2, -2, -1)
    assert parse_word("", 3) == () and parse_word("   ", 3) == ()
    assert format_word((1, -2)) == "1 -2" and format_letters((1, -2)) == "aB"
    assert parse_word(format_letters((3, -1, 2)), 3) == (3, -1, 2)


@pytest.mark.parametrize(("text", "k", "fragment"), [
    ("1 3", 2, "3 at position 1"), ("abc", 2, "3 at position 2"), ("0", 2, "0 at position 0"),
    ("1 x", 2, "cannot read WORD"), ("1.5", 2, "cannot read WORD"), ("ab", 0, "k must be"),
])
def test_bad_words_name_the_problem(text: str, k: int, fragment: str) -> None:
    with pytest.raises(InvalidInstance, match=fragment):
        parse_word(text, k)


def test_every_bad_symbol_is_reported_at_once() -> None:
    with pytest.raises(InvalidInstance) as exc:
        parse_word("5 1 -7", 2)
    assert "5 at position 0" in str(exc.value) and "-7 at position 2" in str(exc.value)


@pytest.mark.parametrize("k", [0, -1, 27, True, 2.0])
def test_check_k_rejects(k: object) -> None:
    with pytest.raises(InvalidInstance):
        check_k(k)


def test_negative_length_rejected() -> None:
    with pytest.raises(InvalidInstance):
        dyck_count(2, -1)
    with pytest.raises(InvalidInstance):
        dyck_words_bruteforce(2, -2)
