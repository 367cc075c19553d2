"""Parity processes: the paper's seven transitions, both oracles against a plain sum, the O(log n) step law of the
parallel process, and the trained parallel model (exact generalisation from <= 8 bits)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.neural.evaluate import evaluate, transition_fidelity
from machines.neural.pipeline import train, verify_transitions
from machines.neural.predictor import NeuralPredictor
from machines.paradigms import APMDM
from reductions.errors import InvalidInstance
from reductions.tasks import registry
from reductions.tasks.parity import VOCAB, ParityTask, encode_bits, oracle, paper_transitions
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


def run(pred, bits):  # noqa: ANN001, ANN201
    return APMDM(vocab=VOCAB, predictor=pred, max_steps=4 * len(bits) + 10, halt_on_eos=False).run(encode_bits(bits))


@given(bits=st.lists(st.integers(0, 1), max_size=60))
def test_paper_oracle_computes_parity(bits: list[int]) -> None:
    res = run(oracle, bits)
    odd = sum(bits) % 2  # plain count, independent of the process
    assert VOCAB.decode(res.final) == ["[BOS]"] + ["1"] * odd + ["[EOS]"]
    assert res.counters.steps <= 2 * len(bits)


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
    assert {"parity", "parity-parallel"} <= set(registry.names()) and registry.names() == sorted(registry.names())
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
