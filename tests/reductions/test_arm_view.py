"""The ARM view: the edit log replays the AP-MDM trajectory exactly; its counts match the fast path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.predictor import Transition
from machines.vocab import simple_vocabulary
from reductions.tasks import maxflow as mf
from reductions.tasks.arm_view import apply_edit_log, arm_view, arm_view_states, edit_log, step_edit_tokens
from reductions.tasks.maxflow_graph import generate_instance
from reductions.tasks.sudoku import solve, transitions
from reductions.tasks.sudoku_generate import generate_puzzle
from reductions.tasks.sudoku_grid import MASK, SUDOKU_VOCAB


@given(st.integers(0, 10**6))
def test_sudoku_edit_log_replays_and_counts_agree(seed: int) -> None:
    t = solve(generate_puzzle(givens=30, seed=seed))
    ts = transitions(t)
    log = edit_log(ts, SUDOKU_VOCAB)
    states = apply_edit_log(t.states[0], log, SUDOKU_VOCAB)
    assert len(states) == t.steps and np.array_equal(np.stack(states), t.states[1:].astype(np.int64))
    view = arm_view(t.states[0], ts, mask_id=MASK)
    assert view == arm_view_states(t.states)
    assert view.arm_edit_tokens == len(log) == sum(step_edit_tokens(tr, mask_id=MASK) for tr in ts)
    assert view.apmdm_context == 324 and view.arm_edit_context == 324 + len(log)
    assert view.arm_rewrite_tokens == t.steps * 325


@given(st.integers(3, 10), st.integers(0, 10**6))
def test_maxflow_edit_log_replays(n: int, seed: int) -> None:
    r = mf.run_maxflow(generate_instance(nodes=n, seed=seed))
    ts = mf.transitions(r)
    log = edit_log(ts, mf.FLOW_VOCAB)
    states = apply_edit_log(ts[0].x, log, mf.FLOW_VOCAB)
    assert all(np.array_equal(a, tr.x_next) for a, tr in zip(states, ts, strict=True))
    view = arm_view(ts[0].x, ts, mask_id=mf.M)
    assert view.arm_edit_tokens == len(log) and view.apmdm_steps == r.steps
    assert view.apmdm_context == r.counters.peak_length
    # persistent masks cost the ARM nothing: only real changes are written
    assert view.arm_edit_tokens < view.arm_rewrite_tokens


def test_step_costs_by_hand() -> None:
    v = simple_vocabulary(["a", "b"])  # [MASK]=0, a=1, b=2
    tr = Transition(x=np.array([1, 0, 0, 2]), y=np.array([1, 2, 0, 2]), remask=np.array([0, 0, 0, 1]),
                    insert=np.array([1, 0, 1, 0]), delete=np.array([0, 0, 1, 0]), x_next=np.array([1, 0, 2, 0]))
    assert edit_log([tr], v) == ["+", "#0", "@", "#1", "b", "-", "#2", "@", "#3", "[MASK]", ";"]
    assert step_edit_tokens(tr, mask_id=0) == 11
    assert apply_edit_log(tr.x, edit_log([tr], v), v)[0].tolist() == tr.x_next.tolist()


def test_bad_log_token() -> None:
    v = simple_vocabulary(["a"])
    with pytest.raises(ValueError, match="unknown edit-log token"):
        apply_edit_log([1], ["?", "#0", ";"], v)
