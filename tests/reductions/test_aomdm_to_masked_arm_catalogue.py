"""Theorem 3 on the shared case catalogue: Theorem 1's MDM restricted to one token per step, then rearranged."""

from __future__ import annotations

import numpy as np
import pytest
from case_catalogue import Case, all_cases  # noqa: E402

from pram.machine import PRAM
from pram.programs import get_program
from reductions.aomdm_examples import KPerStep, k_per_step_table
from reductions.aomdm_to_masked_arm import LOOKUP_PASSES, simulate
from reductions.pram_to_mdm import build_mdm

#: One token per step over S masks costs O(S) vectorised numpy per step (f' and the machines), S^2 in all, plus
#: the Theorem 1 predictor's own cost per call.  Contexts above ``FAST_UP_TO`` tokens run only under ``slow``
#: (every case runs: connectivity at n = 8 has a context of 34k tokens and takes minutes, see docs/theorem3.md).
FAST_UP_TO = 1_000


def _param(case: Case) -> object:
    prog = get_program(case.program)
    length = build_mdm(prog, prog.parse_instance(case.input), word_bits=20)[0].layout.length
    return pytest.param(case, marks=[pytest.mark.slow] if length > FAST_UP_TO else [], id=case.id)


CASES = [_param(c) for c in all_cases()]


def test_no_catalogue_case_is_skipped() -> None:
    """Every catalogue case runs (fast or slow); none carries a skip mark."""
    for p in CASES:
        assert all(m.name != "skip" for m in p.marks)  # type: ignore[attr-defined]
    assert len(CASES) == len(all_cases())


@pytest.mark.timeout(900)
@pytest.mark.parametrize("case", CASES)
def test_catalogue_aomdm_and_masked_arm_agree(case: Case) -> None:
    prog = get_program(case.program)
    inst = prog.parse_instance(case.input)
    con, x0 = build_mdm(prog, inst, word_bits=20)
    r = simulate(predictor=KPerStep(inner=con, k=1, mask_id=con.vocab.mask_id), vocab=con.vocab, x0=x0)
    assert r.ok and r.lockstep and r.same_final and r.ao_halt == r.marm_halt == "no-masks"
    assert r.ao_steps == r.marm_steps == r.masks and r.marm_length <= 2 * r.canvas_length
    assert r.lookup_passes == (LOOKUP_PASSES,) and r.reference_steps >= min(r.marm_steps, 1)
    # the one-token-per-step run computes the PRAM's output (checked against the hand/oracle expectation)
    assert prog.output(con.output_memory(np.array(r.final)), inst) == case.expected


@pytest.mark.parametrize("name", ["prefix-sums", "sum"])
def test_parallel_mdm_takes_about_steps_over_k(name: str) -> None:
    prog = get_program(name)
    inst = prog.random_instance(8, np.random.default_rng(1))
    con, x0 = build_mdm(prog, inst, word_bits=20)
    m = int((x0 == con.vocab.mask_id).sum())
    rows = k_per_step_table(proposer=con, vocab=con.vocab, x0=x0, ks=(1, 4, 16, m))
    # the dependency depth, independent of the MDM runs: the PRAM's own step count, plus the output block
    depth = PRAM(program=prog).run(inst).counters.time + 1
    assert rows[-1].steps == depth
    for row in rows:
        assert row.same_output and row.steps_one == m
        assert -(-m // row.k) <= row.steps <= -(-m // row.k) + depth
