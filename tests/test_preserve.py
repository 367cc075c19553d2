"""Theorem 6, PRESERVE: three solvers agree; AP-MDM steps = T; the ARM-style depth; validation; a pure predictor."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.paradigms import APMDM
from machines.trace import parse_trace, replay, trace_lines
from machines.transition import apply_g_reference
from reductions.errors import InvalidInstance
from reductions.preserve import (
    MASK,
    ClockReplay,
    PreserveInstance,
    Round,
    generate_instance,
    preserve_vocabulary,
    random_instance,
    solve_apmdm,
    solve_bruteforce,
)
from reductions.preserve_arm import solve_arm_style


def _g_reference(inst: PreserveInstance) -> list[int]:
    """x_T through the machines package's plain reference g (MASK -> id 0, tokens shifted by one)."""
    x = [0 if v == MASK else v + 1 for v in inst.x0]
    for r in inst.rounds:
        x = apply_g_reference(x, [v + 1 for v in r.y], r.remask, r.insert, r.delete, mask_id=0)
    return [MASK if v == 0 else v - 1 for v in x]


@given(st.integers(0, 2**32), st.integers(0, 10), st.integers(0, 10), st.integers(1, 5))
def test_three_solvers_agree_on_free_instances(seed: int, n: int, T: int, values: int) -> None:
    inst = random_instance(np.random.default_rng(seed), n, T, values)
    brute = solve_bruteforce(inst)
    assert list(brute.final) == _g_reference(inst)
    ap = solve_apmdm(inst)
    assert ap.final == brute.final and ap.steps == inst.T
    arm = solve_arm_style(inst)
    assert arm.answer == brute
    assert all(0 <= d <= inst.T for d in arm.depth) and arm.lookups == sum(arm.depth)
    assert arm.precompute == sum(inst.lengths()[:-1])
    assert len(brute.final) == inst.lengths()[-1]


@given(st.integers(0, 2**32), st.integers(1, 24), st.integers(0, 24))
def test_generated_instances_preserve_every_original(seed: int, n: int, T: int) -> None:
    inst = generate_instance(n, T, seed=seed)
    brute = solve_bruteforce(inst)
    assert sorted(o for o in brute.origin if o >= 0) == list(range(n))  # every original survives, in order
    assert [o for o in brute.origin if o >= 0] == list(range(n))
    ap = solve_apmdm(inst)
    arm = solve_arm_style(inst)
    assert ap.final == brute.final and arm.answer == brute
    assert ap.steps == T and arm.max_depth == T
    assert all(o <= 2 * L for o, L in zip(ap.operations, ap.lengths, strict=True))
    origins_from_values = tuple(v if 0 <= v < n else -1 for v in ap.final)
    assert origins_from_values == brute.origin  # the AP-MDM's final sequence answers "which original is at j"


def test_original_depth_is_T_and_fresh_masks_are_shallow() -> None:
    inst = PreserveInstance(x0=(7, 8), values=9, rounds=(
        Round(y=(0, 0), remask=(0, 0), insert=(1, 0), delete=(0, 0)),       # 7 M 8
        Round(y=(0, 3, 0), remask=(0, 1, 0), insert=(0, 0, 1), delete=(0, 0, 0)),  # 7 M 8 M
        Round(y=(0, 0, 0, 5), remask=(0, 0, 0, 0), insert=(0, 0, 0, 0), delete=(0, 1, 0, 0)),  # 7 8 5
    ))
    sol = solve_arm_style(inst)
    assert sol.answer.final == (7, 8, 5) and sol.answer.origin == (0, 1, -1)
    assert sol.depth == (3, 3, 2)  # originals: all 3 rounds; the 5 was a mask inserted in round 1
    assert solve_apmdm(inst).final == (7, 8, 5)


def test_clock_predictor_is_pure_and_the_run_replays() -> None:
    inst = generate_instance(5, 6, seed=4)
    pred = ClockReplay(inst)
    vocab = preserve_vocabulary(inst.values)
    x0 = np.array([v + 3 for v in inst.x0] + [1] + [2] * inst.T, dtype=np.int64)
    res = APMDM(vocab=vocab, predictor=pred, max_steps=inst.T).run(x0, keep_records=True)
    assert res.halt_reason == "fixed-point" and res.counters.steps == inst.T
    for rec in res.records or ():
        before = rec.x.copy()
        a, b = pred(rec.x, np.random.default_rng(0)), pred(rec.x.copy(), np.random.default_rng(99))
        assert np.array_equal(rec.x, before)
        for f in ("y", "remask", "insert", "delete"):
            assert np.array_equal(getattr(a, f), getattr(b, f))
    lines = trace_lines(paradigm="ap-mdm", vocab=vocab, records=res.records or (), halt_reason=res.halt_reason)
    assert replay(parse_trace("\n".join(lines) + "\n")).ok


def test_zero_rounds_and_empty_sequence() -> None:
    inst = PreserveInstance(x0=(2, MASK), rounds=(), values=3)
    assert solve_bruteforce(inst).final == (2, MASK) == solve_apmdm(inst).final
    assert solve_arm_style(inst).answer.final == (2, MASK)
    empty = generate_instance(0, 3, seed=0)
    assert solve_apmdm(empty).final == () == solve_arm_style(empty).answer.final


def test_validation_reports_every_problem() -> None:
    r = Round(y=(0, 9), remask=(0, 2), insert=(1, 1), delete=(1, 1))
    with pytest.raises(InvalidInstance) as exc:
        PreserveInstance(x0=(1, MASK), rounds=(r,), values=4)
    msg = str(exc.value)
    for fragment in ("remask[1] = 2", "y[1] = 9", "delete[0] is set on a non-mask", "insert[1] is set on a deleted",
                     "insert[0] is set on a deleted"):
        assert fragment in msg
    with pytest.raises(InvalidInstance, match="arrays of lengths"):
        PreserveInstance(x0=(1,), rounds=(Round(y=(0, 0), remask=(0,), insert=(0,), delete=(0,)),), values=2)
    with pytest.raises(InvalidInstance, match="x0"):
        PreserveInstance(x0=(5, -3), rounds=(), values=2)
    with pytest.raises(InvalidInstance, match="values"):
        PreserveInstance(x0=(), rounds=(), values=0)
    with pytest.raises(InvalidInstance):
        generate_instance(-1, 2)


def test_apmdm_refuses_a_foreign_state() -> None:
    pred = ClockReplay(generate_instance(2, 2, seed=0))
    with pytest.raises(InvalidInstance):
        pred(np.array([3, 4], dtype=np.int64), np.random.default_rng(0))  # no [SEP]
    with pytest.raises(InvalidInstance):
        pred(np.array([3, 1, 2, 2], dtype=np.int64), np.random.default_rng(0))  # wrong work length
