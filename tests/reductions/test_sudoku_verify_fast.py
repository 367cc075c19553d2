"""The batched ``verify_trajectory`` against its per-step reference (one ``apply_g`` per step), issue 17.

Both must return the same list of problems on valid trajectories and on each kind of planted corruption; every
planted corruption must also produce the problem it was planted for (named here, with its step), so agreement on a
wrong answer does not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reductions.tasks.sudoku import SudokuTrajectory, solve, verify_trajectory, verify_trajectory_reference
from reductions.tasks.sudoku_grid import MASK, famous_puzzles

ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"
NO_SOLUTION = "120007090030020008009600500005300900010080002600004000300000010040000007007000300"


@cache
def escargot() -> SudokuTrajectory:
    return solve(ESCARGOT)


def both(t: SudokuTrajectory, **kw: int) -> list[str]:
    fast, ref = verify_trajectory(t, **kw), verify_trajectory_reference(t, **kw)
    assert fast == ref
    return fast


def with_arrays(t: SudokuTrajectory, **arrays: np.ndarray) -> SudokuTrajectory:
    return replace(t, **arrays)  # type: ignore[arg-type]


def unmask_sites(t: SudokuTrajectory) -> list[tuple[int, int]]:
    """(step, position) of every mask that the step unmasks (MASK in x_t, not remasked)."""
    used = (t.states[:-1] == MASK) & ~t.remask
    return [(int(k), int(p)) for k, p in zip(*np.nonzero(used), strict=True)]


@pytest.mark.parametrize("label", ["escargot", "no solution", "one given", "solved already", "famous"])
def test_valid_trajectories_pass_both(label: str) -> None:
    puzzles = {"escargot": [ESCARGOT], "no solution": [NO_SOLUTION], "one given": ["1" + "." * 80],
               "solved already": ["534678912672195348198342567859761423426853791713924856961537284287419635345286179"],
               "famous": [g for _, g in famous_puzzles()[:4]]}[label]
    for p in puzzles:
        t = solve(p)
        assert both(t) == [] and both(t, sample=0) == []
        # the same trajectory with int64 tokens and a 0/1 integer remask is just as valid
        t64 = with_arrays(t, states=t.states.astype(np.int64), y=t.y.astype(np.int64),
                          remask=t.remask.astype(np.int64))
        assert both(t64) == []


@pytest.mark.parametrize("k", [0, 1, 127, 128, 129, 300, -1])
def test_wrong_next_state_names_its_step(k: int) -> None:
    t = escargot()
    k %= t.steps
    states = t.states.copy()
    states[k + 1, 5] = (int(states[k + 1, 5]) + 1) % 31
    problems = both(with_arrays(t, states=states), sample=0)
    # the changed token is step k's output and step k+1's input: step k+1 breaks too unless it is the last step
    assert problems[0] == f"g(x_t, y_t, ctrl_t) != x_(t+1) at {1 if k + 1 == t.steps else 2} step(s), first t={k + 1}"


def test_wrong_unmasked_value_and_wrong_remask() -> None:
    t = escargot()
    k, p = unmask_sites(t)[40]
    y = t.y.copy()
    y[k, p] = (int(y[k, p]) + 1) % 10  # g writes this y: the next state disagrees
    assert both(with_arrays(t, y=y))[0] == f"g(x_t, y_t, ctrl_t) != x_(t+1) at 1 step(s), first t={k + 1}"
    r = t.remask.copy()
    j = int(np.flatnonzero(~r[200] & (t.states[200] != MASK))[0])
    r[200, j] = True  # remasking a kept token: g makes MASK where x_(t+1) kept it
    assert both(with_arrays(t, remask=r))[0] == "g(x_t, y_t, ctrl_t) != x_(t+1) at 1 step(s), first t=201"


@pytest.mark.parametrize("which", [0, 1, -1])
def test_mask_in_y_where_used_is_a_rejection_with_step_and_position(which: int) -> None:
    t = escargot()
    k, p = unmask_sites(t)[which]
    y = t.y.copy()
    y[k, p] = MASK
    problems = both(with_arrays(t, y=y))
    assert problems[0] == f"g rejects step t={k + 1}: y is MASK at unmasked position {p}"
    assert "y is MASK at an unmasked position" in problems


def test_mismatches_are_counted_only_before_the_first_rejection() -> None:
    t = escargot()
    states, y = t.states.copy(), t.y.copy()
    for k in (10, 140, 400):  # three wrong next states (in different blocks of the batched pass)
        states[k + 1, 3] = MASK  # a SEP slot, never touched by g
    k, p = next(s for s in unmask_sites(t) if s[0] > 200)
    y[k, p] = MASK
    problems = both(with_arrays(t, states=states, y=y), sample=0)
    assert problems[:2] == [f"g rejects step t={k + 1}: y is MASK at unmasked position {p}",
                            "g(x_t, y_t, ctrl_t) != x_(t+1) at 2 step(s), first t=11"]


def test_y_off_the_masks_is_ignored_by_g_but_reported() -> None:
    t = escargot()
    y = t.y.copy()
    y[300, 3] = 0  # a SEP slot is never a mask
    assert both(with_arrays(t, y=y)) == ["y differs from x off the masks"]
    y[300, 3] = MASK  # MASK off the masks is not written by g either: no rejection
    assert both(with_arrays(t, y=y)) == ["y differs from x off the masks"]


def test_structural_corruptions() -> None:
    t = escargot()
    r = t.remask.astype(np.int64)
    r[7, 9] = 2
    assert both(with_arrays(t, remask=r)) == ["remask must hold only 0/1"]
    assert both(with_arrays(t, states=t.states.astype(np.float64)))[0].startswith("dtypes:")
    assert both(with_arrays(t, y=t.y[:-1]))[0].startswith("shapes:")
    assert both(replace(t, puzzle=solve(NO_SOLUTION).puzzle))[0] == "the first state is not the encoded puzzle"
    states = t.states.copy()
    states[-1, 0] = MASK
    assert "the final state still holds MASK" in both(with_arrays(t, states=states))
    cut = replace(t, states=t.states[:101], y=t.y[:100], remask=t.remask[:100], solved=False, solution=None)
    assert any("not a fixed point" in p for p in both(cut))


Corruption = Callable[[SudokuTrajectory, int, int], SudokuTrajectory]


def _state(t: SudokuTrajectory, k: int, p: int) -> SudokuTrajectory:
    s = t.states.copy()
    s[k, p] = (int(s[k, p]) + 7) % 32
    return with_arrays(t, states=s)


def _y(t: SudokuTrajectory, k: int, p: int) -> SudokuTrajectory:
    y = t.y.copy()
    y[k % t.steps, p] = (int(y[k % t.steps, p]) + 3) % 32
    return with_arrays(t, y=y)


def _remask(t: SudokuTrajectory, k: int, p: int) -> SudokuTrajectory:
    r = t.remask.copy()
    r[k % t.steps, p] ^= True
    return with_arrays(t, remask=r)


@settings(max_examples=40, deadline=None)
@given(kinds=st.lists(st.tuples(st.sampled_from([_state, _y, _remask]), st.integers(0, 466), st.integers(0, 323)),
                      min_size=1, max_size=3))
def test_random_corruptions_get_the_same_verdict(kinds: list[tuple[Corruption, int, int]]) -> None:
    t = escargot()
    for corrupt, k, p in kinds:
        t = corrupt(t, k, p)
    both(t, sample=4)
