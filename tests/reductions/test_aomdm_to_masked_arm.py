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
    REFERENCE_EVERY_STEP_UP_TO,
    REFERENCE_SAMPLE,
    MaskedARMPredictor,
    SequenceReader,
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


@given(keys=st.lists(st.integers(0, 10**9), unique=True, min_size=1, max_size=15),
       queries=st.lists(st.integers(-5, 10**9), max_size=20), seed=st.integers(0, 99))
def test_hard_lookup_sort_path_equals_score_matrix_reference(keys: list[int], queries: list[int], seed: int) -> None:
    """Keys far beyond the query count take the sort path (small keys take direct addressing, tested above)."""
    values = np.random.default_rng(seed).integers(0, 100, size=len(keys))
    q = np.array(queries + keys[:3], dtype=np.int64)
    k = np.array(keys, dtype=np.int64)
    assert hard_lookup(q, k, values, -7).tolist() == hard_lookup_reference(q, k, values, -7).tolist()


# -- the pass count is measured: mutants of f' are reported with their real count and fail ---------------------------

class ExtraPassFPrime(MaskedARMPredictor):
    """f' with one more (useless) attention pass over the sequence."""

    def _predict(self, reader: SequenceReader, rng: np.random.Generator) -> Prediction:
        reader.left_neighbour(reader.local(), fill=1)
        return MaskedARMPredictor._predict(self, reader, rng)


class ScanningFPrime(MaskedARMPredictor):
    """f' that finds the first MASK slot by attending to one position at a time (passes grow with the position)."""

    def _predict(self, reader: SequenceReader, rng: np.random.Generator) -> Prediction:
        own = reader.local()
        for i in range(own.shape[0]):
            if reader.attend_max(np.arange(own.shape[0]) == i, own) == 0:
                break
        return MaskedARMPredictor._predict(self, reader, rng)


def test_pass_count_is_derived_from_the_reads_f_prime_makes() -> None:
    c = parity_tree(8)
    x0 = c.start([1, 0, 1, 1, 0, 0, 1, 0])
    honest = simulate(predictor=CircuitPredictor(circuit=c, order="scrambled"), vocab=BIT_VOCAB, x0=x0)
    extra = simulate(predictor=CircuitPredictor(circuit=c, order="scrambled"), vocab=BIT_VOCAB, x0=x0,
                     wrapper=ExtraPassFPrime)
    scan = simulate(predictor=CircuitPredictor(circuit=c, order="scrambled"), vocab=BIT_VOCAB, x0=x0,
                    wrapper=ScanningFPrime)
    assert honest.lookup_passes == (LOOKUP_PASSES,) and honest.ok
    # the mutants compute the same canvas, so only the measured count can tell them apart
    assert extra.same_final and extra.lockstep and extra.lookup_passes == (LOOKUP_PASSES + 1,) and not extra.ok
    assert scan.same_final and scan.lockstep and not scan.ok
    assert min(scan.lookup_passes) > LOOKUP_PASSES and len(scan.lookup_passes) == len(c.gates)


def test_sequence_reader_counts_each_kind_of_pass() -> None:
    r = SequenceReader(np.array([4, 1, 0, 0]))
    own = r.local()
    r.lookup(np.array([0, 1]), np.array([1]), np.array([7]), 0)
    r.attend_max(own == 0, np.arange(4))
    r.left_neighbour(own, fill=1)
    assert (r.lookups, r.locals) == (3, 1)


# -- the lock step is independent of f''s decoder ---------------------------------------------------------------------

def test_lockstep_does_not_use_f_primes_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    import reductions.aomdm_to_masked_arm as mod

    def broken(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("the lock-step check must not call decode_canvas")

    monkeypatch.setattr(mod, "decode_canvas", broken)
    c = prefix_xor(8)
    r = simulate(predictor=CircuitPredictor(circuit=c, order="random"), vocab=BIT_VOCAB, x0=c.start([1, 0] * 4))
    assert r.ok and r.reference_steps == r.marm_steps == len(c.gates)


def _second_lowest_mask(x: np.ndarray, rng: np.random.Generator) -> Prediction:
    """Reverse-copy predictor that unmasks the second-lowest mask (the lowest if it is the only one)."""
    pred = CircuitPredictor(circuit=reverse_copy(6), k=12)(x, rng)
    masks = np.flatnonzero(pred.unmask)
    unmask = np.zeros(x.shape[0], dtype=np.bool_)
    unmask[masks[min(1, masks.size - 1)]] = True
    return Prediction(y=pred.y, unmask=unmask)


class SwappedRecordsFPrime(MaskedARMPredictor):
    """f' that writes the AO-MDM's 2nd and 3rd decisions in swapped order: same records, same final canvas, same
    number of steps -- only a per-step comparison can see it."""

    def _predict(self, reader: SequenceReader, rng: np.random.Generator) -> Prediction:
        own = reader.local()
        records = int(np.count_nonzero((own != 0) & ((own - 1) // self.base_size >= 1)))
        if records == 1:
            swapped = MaskedARMPredictor(inner=_second_lowest_mask, base_size=self.base_size, base_mask=self.base_mask)
            return swapped._predict(reader, rng)
        return MaskedARMPredictor._predict(self, reader, rng)


def test_lockstep_catches_a_record_that_names_the_wrong_position() -> None:
    c = reverse_copy(6)
    r = simulate(predictor=CircuitPredictor(circuit=c, order="lowest"), vocab=BIT_VOCAB, x0=c.start([1, 0, 0, 1, 1, 0]),
                 wrapper=SwappedRecordsFPrime)
    assert r.same_final and r.ao_steps == r.marm_steps and r.lookup_passes == (LOOKUP_PASSES,)
    assert not r.lockstep and not r.ok


def test_reference_decoding_every_step_when_short_and_sampled_when_long() -> None:
    short = 500
    x0 = np.zeros(short, dtype=np.int64)
    r = simulate(predictor=random_aomdm_predictor(3, 0, seed=1), vocab=BIT_VOCAB, x0=x0)
    assert 2 * short <= REFERENCE_EVERY_STEP_UP_TO and r.reference_steps == r.marm_steps == short and r.ok
    long = REFERENCE_EVERY_STEP_UP_TO  # sequence length 2 * long > the threshold
    r = simulate(predictor=random_aomdm_predictor(3, 0, seed=1), vocab=BIT_VOCAB, x0=np.zeros(long, dtype=np.int64))
    assert r.ok and REFERENCE_SAMPLE <= r.reference_steps <= REFERENCE_SAMPLE + 1 < r.marm_steps == long


def _ready_reference(circuit: Circuit, x: np.ndarray) -> dict[int, int]:
    """Plain Python: every ready gate position and its token (copy/not wait only for their first argument)."""
    ops = {"xor": lambda a, b: a ^ b, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
           "copy": lambda a, b: a, "not": lambda a, b: 1 - a}
    out = {}
    for j, (op, a, b) in enumerate(circuit.gates):
        pos = circuit.num_inputs + j
        b_used = a if op in ("copy", "not") else b
        if int(x[pos]) == 0 and int(x[a]) != 0 and int(x[b_used]) != 0:
            out[pos] = 2 if ops[op](int(x[a]) - 1, int(x[b_used]) - 1) else 1
    return out


@given(seed=st.integers(0, 10**6), gates=st.integers(1, 40), density=st.floats(0.0, 1.0))
def test_vectorised_circuit_predictor_equals_plain_reference(seed: int, gates: int, density: float) -> None:
    c = random_circuit(4, gates, seed=seed)
    rng = np.random.default_rng(seed)
    values = [t + 1 for t in c.evaluate([int(b) for b in rng.integers(0, 2, 4)])]
    x = np.array([v if i < 4 or rng.random() < density else 0 for i, v in enumerate(values)], dtype=np.int64)
    ref = _ready_reference(c, x)
    pred = CircuitPredictor(circuit=c, k=c.size)(x, rng)
    assert np.flatnonzero(pred.unmask).tolist() == sorted(ref)
    assert {int(q): int(pred.y[q]) for q in np.flatnonzero(pred.unmask)} == ref


@pytest.mark.parametrize("seed", range(6))
def test_unlimited_k_takes_exactly_circuit_depth_steps(seed: int) -> None:
    from machines.paradigms import MDM

    c = random_circuit(5, 60, seed=seed)
    r = MDM(vocab=BIT_VOCAB, predictor=CircuitPredictor(circuit=c, k=c.size)).run(c.start([1, 0, 1, 1, 0]))
    assert r.counters.steps == c.depth and [int(t == 2) for t in r.final] == c.evaluate([1, 0, 1, 1, 0])
