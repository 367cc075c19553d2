"""machines.batch.run_many against machine.run, instance by instance (results, counters per step, errors)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from machines.batch import run_many
from machines.errors import LimitExceeded, MachineConfigError, MachineError
from machines.paradigms import APMDM, MDM
from machines.predictor import Prediction
from machines.vocab import simple_vocabulary

V = simple_vocabulary(["a", "b", "c"], eos=True)  # a small vocabulary with MASK and EOS
M = V.mask_id


def random_predictor(x: np.ndarray, rng: np.random.Generator) -> Prediction:
    """Random controls, sometimes a broken prediction (MASK written, a 2 bit, a wrong shape, a claimed unmask)."""
    n = len(x)
    y = rng.integers(0, V.size, n)
    y[y == M] = V.id_of("a")
    bits = [rng.random(n) < p for p in (0.2, 0.15, 0.3)]
    kind = rng.integers(0, 40)
    if kind == 0 and n:
        y[rng.integers(0, n)] = M  # may write MASK: a violation if that position is unmasked
    if kind == 1 and n:
        b = bits[0].astype(np.int64)
        b[0] = 2
        return Prediction(y=y, remask=b)
    if kind == 2:
        return Prediction(y=y[:-1] if n else y, remask=bits[0])
    if kind == 3:
        return Prediction(y=y, halt=True)
    if kind == 4:  # an unmask claim: right or wrong
        claim = (x == M) & ~bits[0] if rng.random() < 0.5 else rng.random(n) < 0.5
        return Prediction(y=y, unmask=claim, remask=bits[0])
    if kind == 5:  # int controls instead of bools
        return Prediction(y=y, remask=bits[0].astype(np.int8), insert=bits[1].astype(np.int64), delete=bits[2])
    if kind == 6:
        return Prediction(y=y, remask=None, insert=bits[1], delete=None)
    return Prediction(y=y, remask=bits[0], insert=bits[1], delete=bits[2])


def outcome(r: object) -> object:
    if isinstance(r, MachineError):
        return (type(r).__name__, str(r))
    return (r.final.tolist(), r.halt_reason, r.counters.to_json(), r.counters.peak_length)  # type: ignore[attr-defined]


def sequential(machine: APMDM, starts: list, seeds: list) -> list:
    out = []
    for x0, s in zip(starts, seeds, strict=True):
        try:
            out.append(machine.run(x0, seed=s))
        except MachineError as exc:
            out.append(exc)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([M, M, V.id_of("a"), V.id_of("b")]), max_size=12), min_size=1,
                max_size=8), st.integers(0, 2**31), st.integers(1, 30), st.integers(1, 40), st.booleans())
def test_run_many_equals_run_on_each(starts: list, seed: int, max_steps: int, max_length: int, eos: bool) -> None:
    m = APMDM(vocab=V, predictor=random_predictor, max_steps=max_steps, max_length=max_length, halt_on_eos=eos)
    seeds = [seed + k for k in range(len(starts))]
    want = [outcome(r) for r in sequential(m, starts, seeds)]
    assert [outcome(r) for r in run_many(m, starts, seeds=seeds)] == want


def test_parity_oracle_runs_match() -> None:
    from reductions.tasks.parity import VOCAB, oracle, random_instances

    starts = [x for x, _ in random_instances(30, 12, np.random.default_rng(3))] + [np.array([0, 1])]
    m = APMDM(vocab=VOCAB, predictor=oracle, max_steps=70, halt_on_eos=False)
    got = run_many(m, starts, seeds=list(range(len(starts))))
    assert [outcome(r) for r in got] == [outcome(r) for r in sequential(m, starts, list(range(len(starts))))]


def test_other_exceptions_propagate_from_the_lowest_instance() -> None:
    def boom(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        if len(x) in (2, 3):
            raise KeyError(len(x))
        return Prediction(y=np.ones(len(x), np.int64))

    m = APMDM(vocab=V, predictor=boom)
    with pytest.raises(KeyError) as exc:
        run_many(m, [[1], [1, 1, 1], [1, 1]], seeds=[0, 0, 0])
    assert exc.value.args == (3,)


def test_bad_arguments() -> None:
    with pytest.raises(MachineConfigError, match="AP-MDM"):
        run_many(MDM(vocab=V, predictor=random_predictor), [[M]], seeds=[0])  # type: ignore[arg-type]
    with pytest.raises(MachineConfigError, match="one seed per start"):
        run_many(APMDM(vocab=V, predictor=random_predictor), [[M]], seeds=[0, 1])


class _Unreadable:
    """A y that numpy cannot read: the discipline check itself raises a KeyError (not a MachineError)."""

    def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
        raise KeyError("unreadable")


def test_errors_are_routed_alike_from_the_predictor_and_from_the_check() -> None:
    # every instance is compared with its own machine.run: a MachineError raised by the predictor (length 2) or by
    # the discipline check (length 3, an id outside the vocabulary written at a mask) ends only that instance
    def mixed(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        if len(x) == 2:
            raise LimitExceeded(limit_name="probe", limit=2, hint="a test")
        y = np.full(len(x), V.id_of("a"))
        if len(x) == 3:
            y[:] = V.size + 5
        return Prediction(y=y)

    m = APMDM(vocab=V, predictor=mixed)
    starts = [[M], [1, 1], [M, M, M], [M, M, M, M]]
    got = run_many(m, starts, seeds=[0] * 4)
    assert [outcome(r) for r in got] == [outcome(r) for r in sequential(m, starts, [0] * 4)]
    assert [type(r).__name__ for r in got] == ["RunResult", "LimitExceeded", "DisciplineViolation", "RunResult"]

    # any other exception, from the check as from the predictor, is raised after the batch, the lowest instance's
    def unreadable(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        if len(x) == 2:
            raise KeyError("predictor")
        return Prediction(y=_Unreadable()) if len(x) == 3 else Prediction(y=np.ones(len(x), np.int64))

    m = APMDM(vocab=V, predictor=unreadable)
    with pytest.raises(KeyError) as exc:
        run_many(m, [[1], [1, 1, 1], [1, 1]], seeds=[0, 0, 0])
    assert exc.value.args == ("unreadable",)
    with pytest.raises(KeyError) as exc:
        run_many(m, [[1], [1, 1], [1, 1, 1]], seeds=[0, 0, 0])
    assert exc.value.args == ("predictor",)
