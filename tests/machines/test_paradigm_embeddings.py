"""ARM / MDM / AO-MDM / Masked-ARM runs reproduced as AP-MDM runs: the step relations of
machines.paradigm_embeddings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.errors import MachineConfigError
from machines.paradigm_embeddings import _relation, check_embedding, embed
from machines.paradigms import AOMDM, APMDM, ARM, MDM, Machine, MaskedARM
from machines.predictor import Prediction, Predictor
from machines.trace import parse_trace, replay, trace_lines
from machines.vocab import simple_vocabulary

V = simple_vocabulary(["a", "b"], bos=True, eos=True)  # [MASK]=0 [BOS]=1 [EOS]=2 a=3 b=4
M, BOS, EOS = 0, 1, 2


def random_mdm(choose: str, eos: bool) -> Predictor:
    """A stochastic MDM-family predictor: a pure function of (x, rng)."""
    alphabet = np.array([3, 4, EOS] if eos else [3, 4])

    def f(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        masks = np.flatnonzero(x == M)
        pick = np.zeros(len(x), dtype=bool)
        if choose == "subset":
            chosen = masks[rng.random(len(masks)) < 0.4]
            pick[chosen if chosen.size else masks[-1:]] = True
        elif choose == "one":
            pick[masks[int(rng.integers(len(masks)))]] = True
        else:
            pick[masks[0]] = True
        return Prediction(y=alphabet[rng.integers(len(alphabet), size=len(x))], unmask=pick)

    return f


def random_arm(p_halt: float) -> Predictor:
    def f(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        if rng.random() < p_halt:
            return Prediction(y=x, halt=True)
        return Prediction(y=np.full(len(x), int(rng.choice([3, 4, 4, EOS]))))

    return f


MACHINES = {
    "mdm": lambda eos: MDM(vocab=V, predictor=random_mdm("subset", eos), halt_on_eos=eos),
    "ao-mdm": lambda eos: AOMDM(vocab=V, predictor=random_mdm("one", eos), halt_on_eos=eos),
    "masked-arm": lambda eos: MaskedARM(vocab=V, predictor=random_mdm("leftmost", eos), halt_on_eos=eos),
    "arm": lambda eos: ARM(vocab=V, predictor=random_arm(0.15), halt_on_eos=eos, max_length=200),
}


@given(st.sampled_from(sorted(MACHINES)), st.booleans(), st.integers(0, 2**31 - 1),
       st.lists(st.sampled_from([M, M, 3, 4]), min_size=0, max_size=12))
def test_embedding_step_relation(paradigm: str, eos: bool, seed: int, start: list[int]) -> None:
    machine: Machine = MACHINES[paradigm](eos)
    x0 = np.array([BOS] + [t for t in start if t != M] if paradigm == "arm" else start, dtype=np.int64)
    c = check_embedding(machine, x0, seed=seed)
    assert c.ok, c
    assert c.same_final
    if paradigm == "arm":
        assert c.target_steps - c.source_steps == (1 if c.target_halt == "fixed-point" else 0)
    else:
        assert c.source_steps == c.target_steps
        assert {"no-masks": "fixed-point"}.get(c.source_halt, c.source_halt) == c.target_halt


@pytest.mark.parametrize("paradigm", sorted(MACHINES))
def test_embedded_states_in_lock_step(paradigm: str) -> None:
    """Directly: z_t = x_t (MDM family) or x_t + [MASK] (ARM) after every step, and the AP-MDM trace replays."""
    machine = MACHINES[paradigm](True)
    x0 = np.array([BOS, 3] if paradigm == "arm" else [3, M, M, 4, M, M], dtype=np.int64)
    e = embed(machine)
    src = machine.run(x0, seed=5, keep_records=True)
    tgt = e.target.run(e.start(x0), seed=5, keep_records=True)
    assert src.records is not None and tgt.records is not None
    for a, b in zip(src.records, tgt.records, strict=False):
        expect = a.x_next.tolist()
        if paradigm == "arm" and b.x_next[-1] == M:  # the slot of the next token (absent after EOS)
            expect = expect + [M]
        assert b.x_next.tolist() == expect
        assert np.array_equal(e.project(b.x), a.x)
    written = src.counters.inserted if paradigm == "arm" else src.counters.unmasked
    assert tgt.counters.unmasked == written
    lines = trace_lines(paradigm="ap-mdm", vocab=V, records=tgt.records, halt_reason=tgt.halt_reason)
    assert replay(parse_trace("\n".join(lines))).ok


def test_arm_halt_by_predictor_costs_one_deleting_step() -> None:
    def two_then_halt(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        return Prediction(y=np.full(len(x), 3), halt=len(x) >= 3)

    arm = ARM(vocab=V, predictor=two_then_halt)
    c = check_embedding(arm, [BOS], seed=0)
    assert (c.ok, c.source_steps, c.target_steps, c.source_halt, c.target_halt) == (True, 2, 3, "done", "fixed-point")
    e = embed(arm)
    r = e.target.run(e.start([BOS]), keep_records=True)
    assert r.records is not None and r.records[-1].prediction.delete is not None
    assert r.counters.deleted == 1 and r.final.tolist() == [BOS, 3, 3]


def test_embedding_rejects_apmdm_and_validates_start() -> None:
    with pytest.raises(MachineConfigError):
        embed(APMDM(vocab=V, predictor=random_arm(0.0)))
    with pytest.raises(MachineConfigError, match="no MASK"):
        embed(MACHINES["arm"](True)).start([BOS, M])


def test_relation_flags_mismatches() -> None:
    """The relation check is not vacuous: wrong step counts, halts, token counts or finals are reported."""
    assert _relation("mdm", "no-masks", "fixed-point", 3, 3, 0, True, 30, 30, 10) is None
    assert _relation("mdm", "no-masks", "eos", 3, 3, 0, True, 30, 30, 10) is not None
    assert _relation("mdm", "no-masks", "fixed-point", 3, 4, 0, True, 30, 30, 10) is not None
    assert _relation("mdm", "no-masks", "fixed-point", 3, 3, 0, False, 30, 30, 10) is not None
    assert _relation("arm", "done", "eos", 3, 3, 0, True, 6, 9, 4) is None
    assert _relation("arm", "done", "eos", 3, 3, 0, True, 6, 10, 4) is not None
    assert _relation("arm", "done", "fixed-point", 3, 4, 1, True, 6, 9 + 5, 4) is None
    assert _relation("arm", "done", "fixed-point", 3, 3, 0, True, 6, 9, 4) is not None


@pytest.mark.parametrize("paradigm", sorted(MACHINES))
def test_translated_predictor_is_a_pure_function_of_the_sequence(paradigm: str) -> None:
    machine = MACHINES[paradigm](True)
    e = embed(machine)
    x0 = np.array([BOS, 3] if paradigm == "arm" else [3, M, M, 4, M, M], dtype=np.int64)
    r = e.target.run(e.start(x0), seed=2, keep_records=True)
    assert r.records is not None
    f = e.target.predictor
    for rec in r.records:
        a = f(rec.x, np.random.default_rng(11))
        b = f(rec.x.copy(), np.random.default_rng(11))
        for name in ("y", "remask", "insert", "delete"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
