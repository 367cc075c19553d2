"""Theorem 5, AP-MDM side: exact support equality, valid samples, machine = fast path, a pure predictor."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.predictor import Prediction
from machines.trace import parse_trace, replay, trace_lines
from reductions.dyck_generator import (
    DyckGenerator,
    dyck_vocabulary,
    generate,
    make_machine,
    reachable_outputs,
    sample_word,
    start_sequence,
    word_to_tokens,
)
from reductions.dyck_matrix import code_of_word, dyck_codes_bruteforce
from reductions.dyck_two_sided import dyck_count, is_dyck
from reductions.errors import InvalidInstance


@pytest.mark.parametrize(("k", "top"), [(2, 8), (3, 6)])
def test_free_generator_support_is_the_language_at_every_length(k: int, top: int) -> None:
    outputs = reachable_outputs(DyckGenerator(k=k), top).outputs
    for n in range(top + 1):
        got = sorted(code_of_word(w, k) for w in outputs.get(n, []))
        assert got == dyck_codes_bruteforce(k, n).tolist(), (k, n)
    assert all(n % 2 == 0 for n in outputs)


@pytest.mark.parametrize(("k", "top"), [(1, 8), (2, 6), (3, 4)])
def test_target_generator_support_is_the_language_of_that_length(k: int, top: int) -> None:
    for n in range(0, top + 1, 2):
        outputs = reachable_outputs(DyckGenerator(k=k, length=n), n).outputs
        assert list(outputs) == [n]
        got = sorted(code_of_word(w, k) for w in outputs[n])
        assert got == dyck_codes_bruteforce(k, n).tolist() and len(got) == dyck_count(k, n), (k, n)


@pytest.mark.slow
@pytest.mark.parametrize(("k", "n"), [(2, 10), (3, 8)])
def test_support_equality_larger(k: int, n: int) -> None:
    outputs = reachable_outputs(DyckGenerator(k=k, length=n), n).outputs
    assert sorted(code_of_word(w, k) for w in outputs[n]) == dyck_codes_bruteforce(k, n).tolist()


@pytest.mark.slow
@pytest.mark.parametrize(("k", "n"), [(3, 10), (2, 12)])
def test_support_equality_at_the_acceptance_lengths(k: int, n: int) -> None:
    """The acceptance sizes (k = 3 at 10, k = 2 at 12), previously only run by ``powergen check thm5``."""
    outputs = reachable_outputs(DyckGenerator(k=k, length=n), n).outputs
    got = sorted(code_of_word(w, k) for w in outputs[n])
    assert got == dyck_codes_bruteforce(k, n).tolist() and len(got) == dyck_count(k, n)


@pytest.mark.parametrize(("k", "seed"), [(2, 0), (3, 1), (2, 17), (3, 99)])
def test_fast_path_equals_the_machine_at_length_200(k: int, seed: int) -> None:
    word, steps = generate(k, 200, seed=seed)
    assert word == sample_word(k, 200, seed=seed) and steps == 300 and is_dyck(word)


def test_ten_thousand_samples_are_valid() -> None:
    bad = 0
    for i in range(10_000):
        n = 2 * ((i // 2) % 101)
        w = sample_word(2 + i % 2, n, seed=i)
        bad += len(w) != n or not is_dyck(w)
    assert bad == 0


@given(st.integers(1, 4), st.integers(0, 40), st.integers(0, 2**32))
def test_fast_path_equals_the_machine(k: int, half: int, seed: int) -> None:
    word, steps = generate(k, 2 * half, seed=seed)
    assert word == sample_word(k, 2 * half, seed=seed)
    assert steps == 3 * half and is_dyck(word) and len(word) == 2 * half


def test_same_seed_same_word_and_seeds_differ() -> None:
    assert sample_word(2, 30, seed=5) == sample_word(2, 30, seed=5)
    assert len({sample_word(2, 30, seed=s) for s in range(20)}) > 15


@given(st.integers(2, 3), st.integers(0, 2**16))
def test_free_form_samples_are_members(k: int, seed: int) -> None:
    word, _ = generate(k, None, seed=seed)
    assert is_dyck(word)


def _states(k: int, n: int) -> list[np.ndarray]:
    """Every machine state met on runs to length n (seeds 0..4)."""
    out = []
    for seed in range(5):
        res = make_machine(k, n).run(start_sequence(), seed=seed, keep_records=True)
        out += [rec.x for rec in res.records or ()]
    return out


def _same(p: Prediction, q: Prediction) -> bool:
    return p.y.tolist() == q.y.tolist() and str(p.insert) == str(q.insert)


def test_predictor_is_pure_and_samples_lie_in_its_support() -> None:
    gen = DyckGenerator(k=2, length=10)
    for x in _states(2, 10):
        before = x.copy()
        a = gen(x, np.random.default_rng(7))
        b = gen(x.copy(), np.random.default_rng(7))
        assert np.array_equal(x, before)
        assert _same(a, b)
        support = gen.support(x)
        assert sum(p for _, p in support) == 1
        assert any(_same(a, q) for q, _ in support)


def test_free_form_probabilities() -> None:
    gen = DyckGenerator(k=2, stop=Fraction(1, 3))
    sup = gen.support([1, 3, 4])
    assert [p for _, p in sup] == [Fraction(1, 3)] + [Fraction(2, 9)] * 3
    assert [p for _, p in DyckGenerator(k=2, cap=2).support([1, 3, 4])] == [1]


def test_run_is_a_replayable_trace() -> None:
    res = make_machine(2, 6).run(start_sequence(), seed=3, keep_records=True)
    assert res.halt_reason == "fixed-point" and res.counters.steps == 9
    lines = trace_lines(paradigm="ap-mdm", vocab=dyck_vocabulary(2), records=res.records or (),
                        halt_reason=res.halt_reason)
    assert replay(parse_trace("\n".join(lines) + "\n")).ok


@pytest.mark.parametrize("x", [[], [3], [1, 0, 0], [1, 2], [0, 1], [1, 9], [1, 0, 3], [1, 3, 1]])
def test_foreign_states_are_rejected(x: list[int]) -> None:
    gen = DyckGenerator(k=2, length=4)
    with pytest.raises(InvalidInstance):
        gen(np.array(x, dtype=np.int64), np.random.default_rng(0))


@pytest.mark.parametrize("kwargs", [{"k": 0}, {"k": 2, "length": 3}, {"k": 2, "length": -2},
                                    {"k": 2, "stop": Fraction(1)}, {"k": 2, "stop": 0}])
def test_bad_generator_parameters(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInstance):
        DyckGenerator(**kwargs)  # type: ignore[arg-type]


def test_longer_than_target_is_rejected() -> None:
    with pytest.raises(InvalidInstance):
        DyckGenerator(k=2, length=2).support([1] + word_to_tokens((1, -1, 2, -2)))


@pytest.mark.benchmark(group="dyck-sample-200")
def test_bench_fast_path(benchmark: Any) -> None:
    words = benchmark(lambda: [sample_word(2, 200, seed=s) for s in range(10)])
    assert all(is_dyck(w) for w in words)


@pytest.mark.benchmark(group="dyck-sample-200")
def test_bench_machine(benchmark: Any) -> None:
    words = benchmark(lambda: [generate(2, 200, seed=s)[0] for s in range(10)])
    assert all(is_dyck(w) for w in words)


# -- the fast support search against its plain oracle (issue 17) ------------------------------------------------
@pytest.mark.parametrize(("k", "top", "length"), [(1, 8, None), (2, 6, None), (3, 4, None), (2, 6, 6), (1, 7, 6),
                                                  (4, 4, 4), (2, 0, None), (2, 0, 0), (1, 1, None)])
def test_batched_search_equals_the_reference_search(k: int, top: int, length: int | None) -> None:
    """Same outputs, same state and transition counts as the one-state-at-a-time search with the reference g."""
    from reductions.dyck_generator import reachable_outputs_reference

    gen = DyckGenerator(k=k, length=length)
    assert reachable_outputs(gen, top) == reachable_outputs_reference(gen, top)


def test_free_form_with_a_small_cap_matches_the_reference() -> None:
    from reductions.dyck_generator import reachable_outputs_reference

    gen = DyckGenerator(k=2, cap=4, stop=Fraction(1, 3))
    assert reachable_outputs(gen, 8) == reachable_outputs_reference(gen, 8)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_support_batch_lists_support_row_by_row(k: int) -> None:
    """Every state up to content 5 (S0, S1, S2 phases, stop and grow): the batch equals support() per row."""
    gen = DyckGenerator(k=k)
    from itertools import product

    tokens = list(range(3, 3 + 2 * k))
    for n in range(1, 7):
        states = [[1, *body] for body in product([0, *tokens], repeat=n - 1)
                  if list(body).count(0) <= 1 and gen._is_state([1, *body])]
        by_len: dict[int, list[list[int]]] = {}
        for s in states:
            by_len.setdefault(len(s), []).append(s)
        for rows in by_len.values():
            # rows of one phase only (a level of the search); group by mask count
            for masked in (False, True):
                group = [r for r in rows if (0 in r) == masked]
                if not group:
                    continue
                sb = gen.support_batch(np.array(group))
                expect = [(i, p) for i, r in enumerate(group) for p, _ in gen.support(r)]
                assert sb.parent.tolist() == [i for i, _ in expect]
                assert sb.y.tolist() == [p.y.tolist() for _, p in expect]
                assert sb.insert.astype(int).tolist() == [p.insert.tolist() for _, p in expect]


def test_support_batch_refuses_foreign_states() -> None:
    gen = DyckGenerator(k=2)
    for bad in ([[2, 3]], [[1, 0, 0]], [[1, 9]], [[1, 0, 3]]):
        with pytest.raises(InvalidInstance):
            gen.support_batch(np.array(bad))


@given(st.integers(1, 3), st.integers(0, 30), st.integers(0, 2**32))
def test_sampled_prediction_is_in_the_support(k: int, half: int, seed: int) -> None:
    """The array-built sampler returns one of support()'s predictions at every state of a run."""
    gen = DyckGenerator(k=k, length=2 * half)
    rng = np.random.default_rng(seed)
    for rec in make_machine(k, 2 * half).trace(start_sequence(), seed=seed):
        pred = gen(rec.x, rng)
        assert any(np.array_equal(pred.y, p.y) and np.array_equal(pred.insert, p.insert)
                   for p, _ in gen.support(rec.x.tolist()))


def test_row_keys_pack_or_fall_back_to_bytes_consistently() -> None:
    """Equal rows get equal keys and different rows different keys, in the packed and the bytes form."""
    from reductions.dyck_generator import _row_keys

    rng = np.random.default_rng(5)
    for top, width in ((7, 5), (7, 21), (7, 22), (100, 9), (100, 10)):
        rows = rng.integers(0, top, (300, width))
        rows[150:] = rows[:150]  # every row twice
        keys = _row_keys(rows, top)
        distinct = {tuple(r) for r in rows.tolist()}
        assert len(set(keys.tolist())) == len(distinct)
        assert keys[:150].tolist() == keys[150:].tolist()
