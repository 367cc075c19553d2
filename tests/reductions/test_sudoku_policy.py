"""The Sudoku search as a pure function of the sequence: run through APMDM, it reproduces the recorded trajectory."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from machines.paradigms import APMDM
from reductions.errors import UnsupportedProgram
from reductions.tasks.sudoku import encode_grid, solve
from reductions.tasks.sudoku_generate import generate_puzzle
from reductions.tasks.sudoku_grid import BRANCH, SKULL, SUDOKU_VOCAB, colour_token
from reductions.tasks.sudoku_policy import sudoku_predictor

ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"
NO_SOLUTION = "120007090030020008009600500005300900010080002600004000300000010040000007007000300"


def _run_states(puzzle: str) -> tuple[np.ndarray, np.ndarray, str]:
    t = solve(puzzle)
    res = APMDM(vocab=SUDOKU_VOCAB, predictor=sudoku_predictor, max_steps=10**6).run(
        t.states[0].astype(np.int64), keep_records=True)
    assert res.records is not None
    states = np.stack([t.states[0].astype(np.int64)] + [r.x_next for r in res.records])
    return states, t.states.astype(np.int64), res.halt_reason


@pytest.mark.parametrize("puzzle", [ESCARGOT, NO_SOLUTION])
def test_predictor_reproduces_the_trajectory(puzzle: str) -> None:
    got, want, halt = _run_states(puzzle)
    assert halt == "fixed-point" and got.shape == want.shape and np.array_equal(got, want)


@settings(max_examples=20)
@given(st.integers(0, 10**6), st.integers(26, 34))
def test_predictor_reproduces_generated_trajectories(seed: int, givens: int) -> None:
    got, want, halt = _run_states(generate_puzzle(givens=givens, seed=seed))
    assert halt == "fixed-point" and np.array_equal(got, want)


def test_predictor_is_pure() -> None:
    t = solve(ESCARGOT)
    for k in range(0, t.steps, 37):
        x = t.states[k].astype(np.int64)
        keep = x.copy()
        a, b = sudoku_predictor(x), sudoku_predictor(x.copy(), np.random.default_rng(9))
        assert np.array_equal(x, keep) and a.remask is not None and b.remask is not None
        assert np.array_equal(a.y, b.y) and np.array_equal(a.remask, b.remask)
        assert np.array_equal(a.remask.astype(bool), t.remask[k])


def test_colour_limit_is_refused() -> None:
    x = encode_grid(np.zeros(81, dtype=np.int8)).astype(np.int64).reshape(81, 4)
    for d in range(1, 17):  # 16 open branches: colour(16) == colour(1)
        x[d, 0], x[d, 1], x[d, 2] = 1 + d % 9, colour_token(d), BRANCH
    x[40, 1], x[40, 2] = colour_token(16), SKULL
    with pytest.raises(UnsupportedProgram, match="colours repeat"):
        sudoku_predictor(x.reshape(-1))
