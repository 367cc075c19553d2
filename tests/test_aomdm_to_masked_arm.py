"""Theorem 3: an AO-MDM simulated by a left-to-right Masked-ARM (same canvas, same steps, length <= 2S, 3 lookups)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.paradigms import AOMDM, MaskedARM
from machines.predictor import Prediction
from machines.trace import parse_trace, replay, trace_lines
from machines.vocab import simple_vocabulary
from reductions.aomdm_examples import (
    BIT_VOCAB,
    ORDERS,
    Circuit,
    CircuitPredictor,
    parity_tree,
    prefix_xor,
    random_aomdm_predictor,
    random_circuit,
    reverse_copy,
)
from reductions.aomdm_to_masked_arm import (
    LOOKUP_PASSES,
    MaskedARMPredictor,
    decode_canvas,
    decode_canvas_reference,
    encode_start,
    hard_lookup,
    hard_lookup_reference,
    masked_arm_vocabulary,
    simulate,
)
from reductions.errors import InvalidInstance, LockstepMismatch, UnsupportedProgram


@given(keys=st.lists(st.integers(0, 40), unique=True, max_size=15), queries=st.lists(st.integers(-2, 45), max_size=20),
       seed=st.integers(0, 99))
def test_hard_lookup_equals_score_matrix_reference(keys: list[int], queries: list[int], seed: int) -> None:
    values = np.random.default_rng(seed).integers(0, 100, size=len(keys))
    q, k = np.array(queries, dtype=np.int64), np.array(keys, dtype=np.int64)
    assert hard_lookup(q, k, values, -7).tolist() == hard_lookup_reference(q, k, values, -7).tolist()


def test_hard_lookup_refuses_duplicate_keys() -> None:
    for f in (hard_lookup, hard_lookup_reference):
        with pytest.raises(LockstepMismatch):
            f(np.array([1]), np.array([1, 1]), np.array([5, 6]), 0)


CIRCUITS = [parity_tree(16), prefix_xor(8), reverse_copy(12), random_circuit(5, 30, seed=4)]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("circuit", CIRCUITS, ids=lambda c: c.name)
def test_circuits_same_canvas_steps_and_oracle(circuit: Circuit, order: str) -> None:
    bits = [int(b) for b in np.random.default_rng(circuit.size).integers(0, 2, circuit.num_inputs)]
    f = CircuitPredictor(circuit=circuit, order=order, salt=3)
    r = simulate(predictor=f, vocab=BIT_VOCAB, x0=circuit.start(bits), seed=11)
    assert r.ok and r.lockstep and r.same_final
    assert r.ao_steps == r.marm_steps == len(circuit.gates)
    assert r.marm_length == circuit.size + len(circuit.gates) <= 2 * circuit.size
    assert r.lookup_passes == (LOOKUP_PASSES,)
    # independent oracle: plain sequential evaluation of the circuit
    final = AOMDM(vocab=BIT_VOCAB, predictor=f).run(circuit.start(bits), seed=11).final
    assert [int(t == 2) for t in final] == circuit.evaluate(bits)


@given(S=st.integers(1, 40), extra=st.integers(1, 6), density=st.floats(0.0, 1.0), seed=st.integers(0, 10**6),
       use_rng=st.booleans())
def test_random_aomdm_predictors(S: int, extra: int, density: float, seed: int, use_rng: bool) -> None:
    v = simple_vocabulary([f"t{i}" for i in range(extra)])
    rng = np.random.default_rng(seed)
    x0 = np.where(rng.random(S) < density, 0, rng.integers(1, v.size, S)).astype(np.int64)
    f = random_aomdm_predictor(v.size, v.mask_id, seed=seed, use_rng=use_rng)
    r = simulate(predictor=f, vocab=v, x0=x0, seed=seed % 97)
    assert r.ok, r
    assert r.ao_steps == r.marm_steps == r.masks == int((x0 == 0).sum())
    assert r.marm_length == S + r.masks <= 2 * S


@pytest.mark.parametrize("S", [4, 16, 64, 256])
def test_lookup_passes_constant_in_S(S: int) -> None:
    x0 = np.zeros(S, dtype=np.int64)
    x0[::2] = 1
    r = simulate(predictor=random_aomdm_predictor(3, 0, seed=S), vocab=BIT_VOCAB, x0=x0)
    assert r.lookup_passes == (3,) and r.ok


def _run_sequences(circuit: Circuit, bits: list[int]) -> list[np.ndarray]:
    f1 = MaskedARMPredictor(inner=CircuitPredictor(circuit=circuit, order="scrambled"), base_size=3, base_mask=0)
    rec = MaskedARM(vocab=masked_arm_vocabulary(BIT_VOCAB, circuit.size), predictor=f1).run(
        encode_start(circuit.start(bits), BIT_VOCAB), keep_records=True).records
    assert rec is not None
    return [r.x for r in rec]


def test_f_prime_is_a_pure_function_of_the_sequence() -> None:
    c = random_circuit(4, 20, seed=9)
    zs = _run_sequences(c, [1, 0, 1, 1])
    first = [MaskedARMPredictor(inner=CircuitPredictor(circuit=c, order="scrambled"), base_size=3, base_mask=0)(
        z, np.random.default_rng(0)) for z in zs]
    fresh = MaskedARMPredictor(inner=CircuitPredictor(circuit=c, order="scrambled"), base_size=3, base_mask=0)
    order = np.random.default_rng(5).permutation(len(zs))
    for i in order:  # any call order, a fresh predictor, a different rng: the same output
        p = fresh(zs[i].copy(), np.random.default_rng(int(i) + 100))
        assert np.array_equal(p.y, first[i].y) and np.array_equal(np.asarray(p.unmask), np.asarray(first[i].unmask))


def test_decode_canvas_vectorised_equals_reference() -> None:
    c = prefix_xor(8)
    for z in _run_sequences(c, [1, 1, 0, 1, 0, 0, 1, 0]):
        assert decode_canvas(z, 3, 0).tolist() == decode_canvas_reference(z, 3, 0)


def test_halting_predictor_halts_both_runs_at_the_same_step() -> None:
    inner = CircuitPredictor(circuit=parity_tree(8), order="highest")

    def stop_after_three(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        if int((x[8:] != 0).sum()) >= 3:
            return Prediction(y=x.copy(), halt=True)
        return inner(x, rng)

    r = simulate(predictor=stop_after_three, vocab=BIT_VOCAB, x0=parity_tree(8).start([1] * 8))
    assert (r.ao_halt, r.marm_halt, r.ao_steps, r.marm_steps) == ("done", "done", 3, 3)
    assert r.same_final and r.lockstep


def test_malformed_sequences_and_non_aomdm_predictors_are_refused() -> None:
    f1 = MaskedARMPredictor(inner=random_aomdm_predictor(3, 0), base_size=3, base_mask=0)
    rng = np.random.default_rng(0)
    for bad in ([0, 0], [3, 0, 2], [3, 1, 40, 0], [3, 1, 6, 0]):  # no prompt / slot before prompt / out of range / hit
        with pytest.raises(InvalidInstance):
            f1(np.array(bad), rng)

    def two_at_once(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        return Prediction(y=np.ones_like(x), unmask=x == 0)

    with pytest.raises(UnsupportedProgram):
        MaskedARMPredictor(inner=two_at_once, base_size=3, base_mask=0)(np.array([1, 1, 0, 0]), rng)
    with pytest.raises(InvalidInstance):
        encode_start(np.array([], dtype=np.int64), BIT_VOCAB)


def test_masked_arm_trace_replays() -> None:
    c = parity_tree(6)
    vocab = masked_arm_vocabulary(BIT_VOCAB, c.size)
    f1 = MaskedARMPredictor(inner=CircuitPredictor(circuit=c, order="highest"), base_size=3, base_mask=0)
    res = MaskedARM(vocab=vocab, predictor=f1).run(encode_start(c.start([0, 1, 1, 0, 1, 1]), BIT_VOCAB),
                                                   keep_records=True)
    assert res.records is not None
    lines = trace_lines(paradigm="masked-arm", vocab=vocab, records=res.records, halt_reason=res.halt_reason)
    assert replay(parse_trace("\n".join(lines) + "\n")).ok
