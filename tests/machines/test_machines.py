"""The five machines: disciplines (each broken rule caught with the right error), halting, caps, counters."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from machines.demos import DEMO_VOCAB, demo_machine, demo_predictor, demo_start
from machines.errors import DisciplineViolation, LimitExceeded, MachineConfigError, VocabularyError
from machines.paradigms import AOMDM, APMDM, ARM, MDM, Machine, MaskedARM, machine_class
from machines.predictor import Prediction
from machines.transition import apply_g
from machines.vocab import simple_vocabulary

V = simple_vocabulary(["a", "b"], bos=True, eos=True)  # [MASK]=0 [BOS]=1 [EOS]=2 a=3 b=4
A, B, EOS, BOS, MK = 3, 4, 2, 1, 0
PARADIGMS = ("arm", "mdm", "ao-mdm", "masked-arm", "ap-mdm")


def const(pred: Callable[[np.ndarray], Prediction]) -> Callable[[np.ndarray, np.random.Generator], Prediction]:
    return lambda x, rng: pred(x)


def zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


def one_hot(n: int, i: int) -> np.ndarray:
    z = zeros(n)
    z[i] = 1
    return z


# -- each paradigm's rule, broken once ----------------------------------------------------------------------------
BREAKERS = [  # (machine class, start, prediction function, step, position, rule fragment)
    (ARM, [BOS], lambda x: Prediction(y=np.full(len(x), A), remask=one_hot(len(x), 0)), 1, 0, "never changes"),
    (ARM, [BOS], lambda x: Prediction(y=np.full(len(x), MK)), 1, 0, "MASK"),
    (ARM, [BOS, A], lambda x: Prediction(y=np.full(len(x), A) if len(x) < 3 else np.full(len(x), 99)), 2, 2,
     "not in the vocabulary"),
    (ARM, [BOS], lambda x: Prediction(y=np.full(len(x) + 1, A)), 1, None, "shape"),
    (MDM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=one_hot(3, 0)), 1, 0, "frozen"),
    (MDM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=zeros(3)), 1, None, "non-empty"),
    (MDM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=one_hot(3, 1), insert=one_hot(3, 1)), 1, 1,
     "length is fixed"),
    (MDM, [A, MK, MK], lambda x: Prediction(y=np.full(3, MK), unmask=one_hot(3, 2)), 1, 2, "MASK"),
    (MDM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B)), 1, None, "needs an unmask"),
    (MDM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=np.array([0, 2, 0])), 1, None, "0/1"),
    (AOMDM, [MK, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=(x == MK).astype(int)), 1, None,
     "exactly one"),
    (MaskedARM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=one_hot(3, 2)), 1, 2, "leftmost"),
    (MaskedARM, [A, MK, MK], lambda x: Prediction(y=np.full(3, B), unmask=(x == MK).astype(int)), 1, None,
     "exactly one"),
    (APMDM, [MK, A], lambda x: Prediction(y=np.array([MK, A])), 1, 0, "MASK"),
    (APMDM, [MK, A], lambda x: Prediction(y=np.array([A, A]), unmask=np.array([0, 0])), 1, 0, "unmask vector"),
    (APMDM, [MK, A], lambda x: Prediction(y=np.array([A, A]), delete=np.array([3, 0])), 1, None, "0/1"),
    (APMDM, [MK, A], lambda x: "not a prediction", 1, None, "must return a Prediction"),
]


@pytest.mark.parametrize("cls, start, f, step, pos, rule", BREAKERS)
def test_broken_rule_is_caught(cls: type[Machine], start: list[int], f: Callable, step: int, pos: int | None,
                               rule: str) -> None:
    m = cls(vocab=V, predictor=const(f))
    with pytest.raises(DisciplineViolation) as exc:
        m.run(np.array(start))
    e = exc.value
    assert (e.paradigm, e.step, e.position) == (m.paradigm, step, pos)
    assert rule in e.rule and m.paradigm in str(e)


def test_violation_at_a_later_step_names_that_step() -> None:
    def f(x: np.ndarray) -> Prediction:  # correct at step 1 (leftmost), wrong at step 2 (rightmost)
        masks = np.flatnonzero(x == MK)
        i = masks[0] if len(masks) == 3 else masks[-1]
        return Prediction(y=np.full(len(x), A), unmask=one_hot(len(x), int(i)))

    with pytest.raises(DisciplineViolation) as exc:
        MaskedARM(vocab=V, predictor=const(f)).run(np.array([MK, MK, MK]))
    assert exc.value.step == 2 and exc.value.position == 2


def test_demo_predictors_obey_their_disciplines_across_seeds() -> None:
    for p in PARADIGMS:
        for seed in range(6):
            r = demo_machine(p).run(demo_start(p, n=1 + seed, seed=seed), seed=seed)
            names = DEMO_VOCAB.decode(r.final)
            prompt = [t for t in names[:names.index("|")] if t != "[BOS]"]
            copy = names[names.index("|") + 1:]
            assert copy[:len(prompt)] == prompt, (p, seed, names)


# -- halting ---------------------------------------------------------------------------------------------------------
def test_halt_reasons() -> None:
    assert demo_machine("arm").run(demo_start("arm", n=3)).halt_reason == "done"
    for p in ("mdm", "ao-mdm", "masked-arm"):
        assert demo_machine(p).run(demo_start(p, n=3)).halt_reason == "no-masks"
    assert demo_machine("ap-mdm").run(demo_start("ap-mdm", n=3)).halt_reason == "fixed-point"
    # EOS unmasked by an AP-MDM; not when halt_on_eos is off; EOS already in the prompt does not stop a run
    eos_once = const(lambda x: Prediction(y=np.full(len(x), EOS)))
    r = APMDM(vocab=V, predictor=eos_once).run(np.array([EOS, MK, MK]))
    assert r.halt_reason == "eos" and r.counters.steps == 1 and r.final.tolist() == [EOS, EOS, EOS]
    r = APMDM(vocab=V, predictor=eos_once, halt_on_eos=False).run(np.array([MK]))
    assert r.halt_reason == "fixed-point" and r.counters.steps == 1
    r = MDM(vocab=V, predictor=const(lambda x: Prediction(y=np.full(len(x), EOS), unmask=(x == MK).astype(int))),
            halt_on_eos=True).run(np.array([MK, A]))
    assert r.halt_reason == "eos"
    # a predictor's halt flag ends the run without applying the prediction
    r = APMDM(vocab=V, predictor=const(lambda x: Prediction(y=x, halt=True))).run(np.array([MK]))
    assert (r.halt_reason, r.counters.steps, r.final.tolist()) == ("done", 0, [MK])


def test_no_masks_at_start_and_fixed_point_at_start() -> None:
    def boom(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        raise AssertionError("the MDM must not call its predictor without masks")

    r = MDM(vocab=V, predictor=boom).run(np.array([A, B]))
    assert (r.halt_reason, r.counters.steps, r.counters.peak_length) == ("no-masks", 0, 2)
    r = APMDM(vocab=V, predictor=const(lambda x: Prediction(y=np.full(len(x), A)))).run(np.array([A, B]))
    assert (r.halt_reason, r.counters.steps, r.counters.tokens_processed) == ("fixed-point", 0, 0)


def test_caps_raise_limit_exceeded_naming_the_cap() -> None:
    double = const(lambda x: Prediction(y=np.full(len(x), A), remask=np.ones(len(x), int),
                                        insert=np.ones(len(x), int)))
    with pytest.raises(LimitExceeded) as exc:
        APMDM(vocab=V, predictor=double, max_length=100).run(np.array([MK]))
    assert exc.value.limit_name == "max_length" and exc.value.limit == 100 and "max_length=" in str(exc.value)
    assert "would make length 128" in str(exc.value)  # checked before building: 64 -> 128
    with pytest.raises(LimitExceeded) as exc:
        APMDM(vocab=V, predictor=double, max_steps=5).run(np.array([MK]))
    assert exc.value.limit_name == "max_steps" and "max_steps=" in str(exc.value)
    # exactly max_steps changing steps is allowed
    r = demo_machine("masked-arm", max_steps=4).run(demo_start("masked-arm", n=4))
    assert r.counters.steps == 4
    with pytest.raises(LimitExceeded):
        demo_machine("masked-arm", max_steps=3).run(demo_start("masked-arm", n=4))
    with pytest.raises(LimitExceeded, match="max_length"):
        demo_machine("arm", max_length=8).run(demo_start("arm", n=5))
    with pytest.raises(LimitExceeded, match="start sequence has length 3"):
        MDM(vocab=V, predictor=double, max_length=2).run(np.array([MK, MK, MK]))


# -- counters --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_counters_are_consistent(paradigm: str) -> None:
    r = demo_machine(paradigm).run(demo_start(paradigm, n=6, seed=2), seed=2, keep_records=True)
    c = r.counters
    assert r.records is not None and c.steps == len(r.records) == len(c.per_step)
    lengths = [len(rec.x) for rec in r.records]
    assert [s.length for s in c.per_step] == lengths and c.tokens_processed == sum(lengths)
    assert c.peak_length == max(lengths + [len(r.final)])
    for rec, s in zip(r.records, c.per_step, strict=True):
        assert len(rec.x_next) == len(rec.x) + s.inserted - s.deleted
        new_masks = s.inserted if paradigm == "ap-mdm" else 0  # an ARM's insert is a token, not a mask
        assert int(np.sum(rec.x_next == 0)) == int(np.sum(rec.x == 0)) - s.unmasked + s.remasked + new_masks \
            - s.deleted
    assert c.unmasked == sum(s.unmasked for s in c.per_step) and c.inserted == sum(s.inserted for s in c.per_step)
    for k, rec in enumerate(r.records, start=1):
        assert rec.t == k
        if paradigm == "ap-mdm":
            p = rec.prediction
            assert np.array_equal(rec.x_next, apply_g(rec.x, p.y, p.remask, p.insert, p.delete, mask_id=0))


def test_trace_iterator_exposes_counters_and_result() -> None:
    it = demo_machine("ap-mdm").trace(demo_start("ap-mdm", n=4))
    first = next(it)
    assert first.t == 1 and it.counters.steps == 1 and it.result is None
    rest = list(it)
    assert it.result is not None and it.result.counters.steps == 1 + len(rest) and it.result.records is None
    assert list(it) == []


# -- determinism and purity ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("paradigm", ["mdm", "ao-mdm", "ap-mdm"])
def test_same_seed_same_run(paradigm: str) -> None:
    x0 = demo_start(paradigm, n=8, seed=5)
    runs = [demo_machine(paradigm).run(x0, seed=s, keep_records=True) for s in (7, 7, 8)]
    seqs = [[rec.x_next.tolist() for rec in r.records or ()] for r in runs]
    assert runs[0].counters == runs[1].counters and seqs[0] == seqs[1]
    assert seqs[0] != seqs[2]  # the seed matters for these stochastic predictors


def test_predictor_sees_a_read_only_sequence() -> None:
    def mutate(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        x[0] = A
        return Prediction(y=x)

    with pytest.raises(ValueError, match="read-only"):
        APMDM(vocab=V, predictor=mutate).run(np.array([MK]))
    x0 = demo_start("mdm", n=3)
    before = x0.tolist()
    demo_machine("mdm").run(x0)
    assert x0.tolist() == before


def test_demo_predictors_are_pure_functions_of_the_sequence() -> None:
    for p in PARADIGMS:
        r = demo_machine(p).run(demo_start(p, n=5, seed=1), seed=1, keep_records=True)
        assert r.records is not None
        f = demo_predictor(p)
        for rec in r.records:  # replaying a recorded state with a fresh, identically seeded rng: same prediction
            a, b = f(rec.x, np.random.default_rng(3)), f(rec.x.copy(), np.random.default_rng(3))
            assert np.array_equal(a.y, b.y)


# -- construction and start validation -------------------------------------------------------------------------------
def test_constructor_reports_every_problem() -> None:
    with pytest.raises(MachineConfigError) as exc:
        APMDM(vocab="v", predictor=3, max_steps=-1, max_length=0)  # type: ignore[arg-type]
    msg = str(exc.value)
    for part in ("vocab must be", "predictor must be callable", "max_steps must be", "max_length must be"):
        assert part in msg
    with pytest.raises(MachineConfigError, match="abstract"):
        Machine(vocab=V, predictor=lambda x, r: Prediction(y=x))
    with pytest.raises(MachineConfigError, match="unknown paradigm"):
        machine_class("rnn")


def test_start_validation() -> None:
    arm = ARM(vocab=V, predictor=const(lambda x: Prediction(y=x)))
    with pytest.raises(MachineConfigError, match="non-empty"):
        arm.run(np.array([], dtype=np.int64))
    with pytest.raises(MachineConfigError, match="no MASK"):
        arm.run(np.array([BOS, MK]))
    with pytest.raises(VocabularyError, match="unknown token id 9"):
        MDM(vocab=V, predictor=arm.predictor).run(np.array([MK, 9]))
    with pytest.raises(MachineConfigError, match="one-dimensional"):
        MDM(vocab=V, predictor=arm.predictor).run(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(MachineConfigError, match="integer"):
        MDM(vocab=V, predictor=arm.predictor).run(np.array([0.5]))
    assert "ARM(paradigm='arm'" in repr(arm) and arm.halt_on_eos
    assert not MDM(vocab=V, predictor=arm.predictor).halt_on_eos
