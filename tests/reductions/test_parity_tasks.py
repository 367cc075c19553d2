"""Parity processes: the paper's seven transitions, every oracle against a plain sum, the step laws (left to right
<= 2n, pairwise <= 4, parallel O(log n)), the model trained on length 2 (exact at 100, 1000 and 10,000 bits,
step for step the pairwise schedule, over several seeds), and the trained parallel model (exact from <= 8 bits)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.neural.predictor import NeuralPredictor
from machines.paradigms import APMDM
from proofs_check.experiments.evaluate import evaluate, transition_fidelity
from proofs_check.experiments.train import train, verify_transitions
from reductions.errors import InvalidInstance
from reductions.tasks import registry
from reductions.tasks.parity import (
    VOCAB,
    ParitySevenTask,
    ParityTask,
    encode_bits,
    length2_transitions,
    oracle,
    pairwise_oracle,
    pairwise_step_bound,
    paper_transitions,
    trajectory,
)
from reductions.tasks.parity_parallel import ParityParallelTask, parallel_oracle, step_bound

# PAPER.md §3.2, typed from the table: (x_k, x_{k+1}, remask, delete)
PAPER_TABLE = [
    ("[BOS] 0 1", "[BOS] [MASK] 1", [0, 1, 0], [0, 0, 0]),
    ("[BOS] [MASK] 1", "[BOS] 1", [0, 0, 0], [0, 1, 0]),
    ("[BOS] 1 0", "[BOS] 1 [MASK]", [0, 0, 1], [0, 0, 0]),
    ("[BOS] 1 [MASK]", "[BOS] 1", [0, 0, 0], [0, 0, 1]),
    ("[BOS] 0 0", "[BOS] [MASK] [MASK]", [0, 1, 1], [0, 0, 0]),
    ("[BOS] 1 1", "[BOS] [MASK] [MASK]", [0, 1, 1], [0, 0, 0]),
    ("[BOS] [MASK] [MASK]", "[BOS]", [0, 0, 0], [0, 1, 1]),
]


def test_paper_transitions_are_the_papers_seven() -> None:
    got = {(" ".join(VOCAB.decode(t.x)), " ".join(VOCAB.decode(t.x_next)), tuple(t.remask.tolist()),
            tuple(t.delete.tolist()), tuple(t.insert.tolist()), t.y.tolist() == t.x.tolist())
           for t in paper_transitions()}
    want = {(a, b, tuple(r), tuple(d), (0, 0, 0), True) for a, b, r, d in PAPER_TABLE}
    assert got == want
    assert len(verify_transitions(paper_transitions(), mask_id=VOCAB.mask_id)) == 7


def test_length2_transitions_are_the_seven_with_eos_and_two_halts() -> None:
    """Typed from PAPER_TABLE (EOS appended, its bits 0) plus the two halting rows, not from the oracle."""
    want = {(a + " [EOS]", b + " [EOS]", tuple(r) + (0,), tuple(d) + (0,)) for a, b, r, d in PAPER_TABLE}
    want |= {("[BOS] 1 [EOS]", "[BOS] 1 [EOS]", (0, 0, 0), (0, 0, 0)), ("[BOS] [EOS]", "[BOS] [EOS]", (0, 0), (0, 0))}
    got = {(" ".join(VOCAB.decode(t.x)), " ".join(VOCAB.decode(t.x_next)), tuple(t.remask.tolist()),
            tuple(t.delete.tolist())) for t in length2_transitions()}
    assert got == want and len(length2_transitions()) == 9
    assert not any(t.insert.any() for t in length2_transitions())
    assert len(verify_transitions(length2_transitions(), mask_id=VOCAB.mask_id)) == 9
    assert len(ParitySevenTask().transitions()) == 7 and ParitySevenTask().model_config() == ParityTask().model_config()


def run(pred, bits):  # noqa: ANN001, ANN201
    return APMDM(vocab=VOCAB, predictor=pred, max_steps=4 * len(bits) + 10, halt_on_eos=False).run(encode_bits(bits))


@given(bits=st.lists(st.integers(0, 1), max_size=60))
def test_paper_oracle_computes_parity(bits: list[int]) -> None:
    res = run(oracle, bits)
    odd = sum(bits) % 2  # plain count, independent of the process
    assert VOCAB.decode(res.final) == ["[BOS]"] + ["1"] * odd + ["[EOS]"]
    assert res.counters.steps <= 2 * len(bits)


@given(bits=st.lists(st.integers(0, 1), max_size=300))
def test_pairwise_oracle_computes_parity_in_four_steps(bits: list[int]) -> None:
    res = run(pairwise_oracle, bits)
    assert VOCAB.decode(res.final) == ["[BOS]"] + ["1"] * (sum(bits) % 2) + ["[EOS]"]
    assert res.counters.steps <= pairwise_step_bound(len(bits))


def test_at_length_2_the_two_schedules_coincide() -> None:
    """The data cannot tell left-to-right from pairwise: on every input of <= 2 bits both oracles make the same
    moves (and differ from 3 bits on)."""
    def moves(pred, bits):  # noqa: ANN001, ANN202
        return [(t.x.tolist(), t.x_next.tolist()) for t in trajectory(encode_bits(bits), pred,
                                                                       include_fixed_point=True)]

    for bits in ([], [0], [1], [0, 0], [0, 1], [1, 0], [1, 1]):
        assert moves(oracle, bits) == moves(pairwise_oracle, bits)
    assert moves(oracle, [0, 0, 0]) != moves(pairwise_oracle, [0, 0, 0])


def test_pairwise_step_bound_is_reached() -> None:
    """Exhaustively for n <= 10: the largest number of steps over all 2^n inputs is exactly the bound."""
    for n in range(11):
        worst = max(run(pairwise_oracle, [(k >> j) & 1 for j in range(n)]).counters.steps for k in range(2**n))
        assert worst == pairwise_step_bound(n)


def contexts(x: np.ndarray) -> set[tuple[int, int | None, int]]:
    """(own token, the other token of its pair, side): what a position of the pair-chunked model sees, split finer
    by the side of the pair (which the model cannot see), so that coverage in this split implies coverage."""
    out: set[tuple[int, int | None, int]] = set()
    for i in range(len(x)):
        j = 0 if i == 0 else i + 1 if i % 2 else i - 1
        out.add((int(x[i]), int(x[j]) if 0 < j < len(x) else None, 0 if i == 0 else 1 - i % 2))
    return out


def test_which_test_contexts_the_length2_data_covers() -> None:
    """Every context of a pairwise run at any length occurs in the 9 training transitions, except a bit ``0`` (and
    then its MASK) paired with EOS -- an odd input ending in 0 -- and EOS beside it; the docs name exactly these."""
    seen = set().union(*(contexts(t.x) for t in length2_transitions()))
    met: set[tuple[int, int | None, int]] = set()
    rng = np.random.default_rng(0)
    for n in [*range(12), 100, 101]:
        for _ in range(100):
            for t in trajectory(encode_bits(rng.integers(0, 2, size=n)), pairwise_oracle, include_fixed_point=True):
                met |= contexts(t.x)
    EOS_, MASK_, ZERO_ = 1, VOCAB.mask_id, 3
    assert met - seen == {(ZERO_, EOS_, 0), (MASK_, EOS_, 0), (EOS_, ZERO_, 1), (EOS_, MASK_, 1)}


@pytest.fixture(scope="module")
def paper_model() -> tuple[float, NeuralPredictor]:
    import time

    task = ParityTask()
    t0 = time.perf_counter()
    res = train(task.transitions(), model=task.model_config(), train_cfg=task.train_config(), seed=0)
    return time.perf_counter() - t0, NeuralPredictor(config=res.model, params=res.params)


def test_model_trained_on_length2_is_exact_at_100_1000_10000(paper_model) -> None:  # noqa: ANN001
    """The issue's acceptance: trained on length 2 only (under 2 minutes), 100% on 200 random inputs at 100 and
    1000 bits and on 20 at 10,000, about 200 parameters."""
    _seconds, pred = paper_model  # the training time is not asserted: timings belong in benchmarks
    task = ParityTask()
    assert sum(a.size for a in pred.params.values()) == 204
    assert transition_fidelity(pred, task.transitions(), mask_id=VOCAB.mask_id) == 1.0
    reps = evaluate(task, pred, lengths=[100, 1000], count=200) + evaluate(task, pred, lengths=[10_000], count=20)
    assert [(r.length, r.correct) for r in reps] == [(100, 200), (1000, 200), (10_000, 20)]
    assert all(r.steps_max <= pairwise_step_bound(r.length) for r in reps)


def test_model_handles_the_four_unseen_contexts(paper_model) -> None:  # noqa: ANN001
    """The contexts the 9 transitions do not cover (a 0 or MASK paired with EOS, EOS beside them) occur in every run
    on an odd input ending in 0; on every state of such runs the seed-0 model's controls are the pairwise rule's."""
    _, pred = paper_model
    for bits in ([0], [1, 1, 0], [0, 1, 0], [1, 0, 1, 1, 0]):
        for t in trajectory(encode_bits(bits), pairwise_oracle, include_fixed_point=True):
            got, want = pred(t.x, None), pairwise_oracle(t.x)
            assert (got.remask == want.remask).all() and (got.delete == want.delete).all() and not got.insert.any()


@given(bits=st.lists(st.integers(0, 1), max_size=200))
def test_model_trained_on_length2_runs_the_pairwise_schedule(paper_model, bits: list[int]) -> None:  # noqa: ANN001
    """Step for step, the learned model's run is the pairwise oracle's (not only the final state)."""
    _, pred = paper_model
    x0 = encode_bits(bits)
    got = trajectory(x0, pred)
    want = trajectory(x0, pairwise_oracle)
    assert [t.x_next.tolist() for t in got] == [t.x_next.tolist() for t in want]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_length2_training_generalises_for_other_seeds(seed: int) -> None:
    task = ParityTask()
    res = train(task.transitions(), model=task.model_config(), train_cfg=task.train_config(), seed=seed)
    pred = NeuralPredictor(config=res.model, params=res.params)
    reps = evaluate(task, pred, lengths=[37, 100, 101], count=30, seed=seed)
    assert [r.correct for r in reps] == [30, 30, 30]


@given(bits=st.lists(st.integers(0, 1), max_size=300))
def test_parallel_oracle_computes_parity_in_log_steps(bits: list[int]) -> None:
    res = run(parallel_oracle, bits)
    odd = sum(bits) % 2
    assert VOCAB.decode(res.final) == ["[BOS]"] + ["1"] * odd + ["[EOS]"]
    n = len(bits)
    lo = 2 * int(math.floor(math.log2(n))) if n else 0
    assert lo <= res.counters.steps <= step_bound(n)


def test_parallel_contexts_at_any_length_occur_in_training() -> None:
    """Every (radius-1 window, first token, position parity) context met at length 300 is met at <= 8 bits."""

    def contexts(x: np.ndarray) -> set[tuple[int, ...]]:
        xp = np.concatenate([[-1], x, [-1]])
        return {(int(xp[i]), int(xp[i + 1]), int(xp[i + 2]), int(x[0]), min(i, 2) if i < 2 else 2 + i % 2)
                for i in range(len(x))}

    seen: set[tuple[int, ...]] = set()
    for t in ParityParallelTask().transitions():
        seen |= contexts(t.x)
    rng = np.random.default_rng(4)
    for _ in range(20):
        x = encode_bits(rng.integers(0, 2, size=300))
        res = APMDM(vocab=VOCAB, predictor=parallel_oracle, halt_on_eos=False).run(x, keep_records=True)
        assert res.records is not None
        for x_t in [rec.x for rec in res.records] + [res.final]:
            assert contexts(x_t) <= seen


def test_registry() -> None:
    assert {"parity", "parity-parallel", "parity-seven"} <= set(registry.names())
    assert registry.names() == sorted(registry.names())
    assert isinstance(registry.get("parity"), ParityTask)
    with pytest.raises(InvalidInstance, match="known tasks"):
        registry.get("nope")
    with pytest.raises(InvalidInstance):
        encode_bits([0, 2])


def test_trained_parallel_model_generalises() -> None:
    task = ParityParallelTask()
    res = train(task.transitions(), model=task.model_config(), train_cfg=task.train_config(), seed=0)
    pred = NeuralPredictor(config=res.model, params=res.params)
    assert pred.table is not None
    assert transition_fidelity(pred, task.transitions(), mask_id=VOCAB.mask_id) == 1.0
    rep = evaluate(task, pred, lengths=[100], count=20)
    assert rep[0].correct == 20
    assert rep[0].steps_max <= step_bound(100)


@pytest.mark.slow
def test_trained_parallel_model_at_1000() -> None:
    task = ParityParallelTask()
    res = train(task.transitions(), model=task.model_config(), train_cfg=task.train_config(), seed=0)
    pred = NeuralPredictor(config=res.model, params=res.params)
    rep = evaluate(task, pred, lengths=[1000], count=50)
    assert rep[0].correct == 50 and rep[0].steps_max <= step_bound(1000)


def test_shipped_checkpoint_and_tour_rows() -> None:
    from proofs_check.tour_steps import t50_parity

    rows = t50_parity.run(0)
    assert [r.status for r in rows] == ["ok"] * len(rows)
    assert rows == t50_parity.run(0)  # deterministic rows


@pytest.mark.slow
def test_shipped_checkpoint_is_seed_0_retrained(tmp_path) -> None:  # noqa: ANN001
    from machines.neural.checkpoint import load_checkpoint
    from proofs_check.tour_steps.t50_parity import CHECKPOINT

    task = ParityParallelTask()
    train(task.transitions(), model=task.model_config(), train_cfg=task.train_config(), seed=0, out_dir=tmp_path,
          extra={"task": task.name})
    fresh, shipped = load_checkpoint(tmp_path), load_checkpoint(CHECKPOINT)
    assert fresh.model == shipped.model and fresh.state["history"] == shipped.state["history"]
    for k, v in shipped.params.items():
        np.testing.assert_allclose(fresh.params[k], v, rtol=0, atol=1e-5)
