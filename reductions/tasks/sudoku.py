"""Sudoku as an exact AP-MDM process: MRV backtracking search written as remask-then-unmask steps (PAPER.md §3.1).

The sequence is the 324-token cell encoding of :mod:`reductions.tasks.sudoku_grid`: cell ``k`` occupies positions
``4k .. 4k+3`` = ``value colour marker SEP``.  Blanks start as ``[EMPTY] [WHITE] [NORMAL] [SEP]`` (not MASK), so
the first operation on a blank is a remask.  Every solver event becomes two AP-MDM steps (Algorithm 1 semantics,
no insert or delete, so the context stays 324 tokens):

==================  ============================================  =============================================
event               step 1                                        step 2
==================  ============================================  =============================================
assign v            remask value, colour, marker                  unmask ``v, colour(depth), NORMAL``
branch v            remask value, colour, marker                  unmask ``v, colour(depth+1), BRANCH``
contradiction       remask the 3 tokens of the empty cell          unmask ``EMPTY, colour(depth), SKULL``
backtrack           remask 3 tokens of every cell filled since    those cells -> ``EMPTY WHITE NORMAL``; start
                    the branch and of the skull cell; remask      cell: remask value and colour, unmask marker
                    only the marker of the branch start cell      := the failed digit (``M M old``)
refill v            start cell: unmask value ``v`` and colour,    unmask marker ``BRANCH`` (more candidates
                    remask the marker (``v c M``)                 left) or ``NORMAL`` (last candidate)
==================  ============================================  =============================================

Project choices (PAPER.md marks the official code's details; these are ours and are documented here):

* MRV is the true minimum: the first (row-major) blank with the fewest candidates.  The official solver stops its
  scan at the first cell with at most one candidate; ours always takes a 0-candidate cell first.
* ``colour(depth)`` is a function of the current branch depth (``[WHITE]`` at depth 0, ``[C((d-1) mod 15 + 1)]``
  otherwise).  A refilled branch keeps the colour of its depth; the official generator's "not re-pushed on the
  colour stack" quirk is not reproduced.  A last candidate is filled as a forced move of the enclosing branch.
* ``y*`` equals ``x_k`` at non-mask positions and the produced token at unmasked masks; Sudoku never keeps a mask
  masked, so ``y*`` never holds MASK.  ``g`` is Algorithm 1 (delete only on masks), never the official verifier's
  variant.
* Halting: the last state is a fixed point of the oracle (no event is left): the solved grid, or, when the search
  exhausts (contradiction with no open branch), the grid with a ``[SKULL]`` cell outside any branch.

Steps = 2 (assigns + branches + contradictions) + 4 backtracks; context = 324 at every step.
:mod:`reductions.tasks.sudoku_policy` shows the same steps are a pure function of the sequence (up to branch
depth 15), so :class:`machines.paradigms.APMDM` with that predictor reproduces this trajectory and halts at the
fixed point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from machines.errors import MachineError
from machines.predictor import Transition
from machines.transition import apply_g, apply_g_reference
from reductions.errors import InstanceTooLarge, InvalidInstance, LockstepMismatch, ReductionError
from reductions.tasks.sudoku_grid import (
    BOX,
    BRANCH,
    COL,
    CONTEXT,
    EMPTY,
    FULL,
    MASK,
    NORMAL,
    POPCOUNT,
    ROW,
    SEP,
    SKULL,
    WHITE,
    colour_token,
    parse_puzzle,
)

__all__ = ["DECISIONS", "SearchCounts", "SudokuTrajectory", "decision_type", "encode_grid", "decode_values",
           "final_is_fixed_point", "solve", "transitions", "verify_trajectory", "verify_trajectory_reference"]

#: The step kinds :func:`decision_type` names, in the order of the module notes' event table.
DECISIONS = ("cell-choice", "assign", "branch", "contradiction", "backtrack-remask", "backtrack-restore",
             "refill-value", "refill-marker", "halt")


@dataclass(frozen=True, slots=True)
class SearchCounts:
    """Solver events of one search.  ``backtracks`` = popped branches; ``max_depth`` = deepest open branch stack."""

    assigns: int
    branches: int
    contradictions: int
    backtracks: int
    max_depth: int


@dataclass(frozen=True, slots=True)
class SudokuTrajectory:
    """An AP-MDM trajectory of the MRV search: ``states[t+1] = g(states[t], y[t], remask[t])``.

    ``states`` is ``(T+1, 324)`` uint8, ``y`` ``(T, 324)`` uint8, ``remask`` ``(T, 324)`` bool.  ``solution`` is
    the decoded final grid when ``solved`` (else ``None``).
    """

    puzzle: np.ndarray
    states: np.ndarray
    y: np.ndarray
    remask: np.ndarray
    solved: bool
    solution: np.ndarray | None
    counts: SearchCounts

    @property
    def steps(self) -> int:
        return int(self.y.shape[0])

    @property
    def context(self) -> int:
        return int(self.states.shape[1])


def encode_grid(grid: np.ndarray) -> np.ndarray:
    """Start sequence: givens ``[v WHITE NORMAL SEP]``, blanks ``[EMPTY WHITE NORMAL SEP]`` (324 tokens, uint8).

    Examples
    --------
    >>> encode_grid(np.array([7] + [0] * 80, dtype=np.int8))[:8].tolist()
    [7, 11, 27, 30, 0, 11, 27, 30]
    """
    x = np.empty((81, 4), dtype=np.uint8)
    x[:, 0] = np.asarray(grid, dtype=np.uint8)
    x[:, 1], x[:, 2], x[:, 3] = WHITE, NORMAL, SEP
    return x.reshape(CONTEXT)


def decode_values(x: np.ndarray) -> np.ndarray:
    """Value slots of a 324-token sequence as an int8 grid (EMPTY -> 0; a MASK stays 10)."""
    return np.asarray(x).reshape(81, 4)[:, 0].astype(np.int8)


class _Recorder:
    """Builds the trajectory one AP-MDM step at a time, applying g (no insert/delete) to get the next state."""

    __slots__ = ("x", "xs", "ys", "rs")

    def __init__(self, x0: np.ndarray) -> None:
        self.x = x0
        self.xs = [x0]
        self.ys: list[np.ndarray] = []
        self.rs: list[np.ndarray] = []

    def step(self, remask: list[int], unmask: list[tuple[int, int]]) -> None:
        x = self.x
        y = x.copy()
        for pos, tok in unmask:
            y[pos] = tok
        r = np.zeros(CONTEXT, dtype=np.bool_)
        r[remask] = True
        nxt = np.where(r, MASK, np.where(x == MASK, y, x)).astype(np.uint8)
        self.xs.append(nxt)
        self.ys.append(y)
        self.rs.append(r)
        self.x = nxt


def _too_many(steps: int, max_steps: int) -> None:
    raise InstanceTooLarge(quantity="Sudoku AP-MDM steps", needed=steps, limit=max_steps,
                           hint="the max_steps argument of reductions.tasks.sudoku.solve")


def _grid_text(puzzle: object) -> str:
    """An 81-cell array-like as puzzle text; values outside 0..9 (or non-integers) raise InvalidInstance."""
    arr = np.asarray(puzzle)
    if arr.dtype.kind not in "iu":
        raise InvalidInstance(f"invalid puzzle: a grid must hold integers 0-9, got dtype {arr.dtype}")
    arr = arr.reshape(-1)
    bad = np.flatnonzero((arr < 0) | (arr > 9))
    if bad.size:
        where = ", ".join(f"{int(arr[k])} at cell {int(k)}" for k in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise InvalidInstance(f"invalid puzzle: value out of range 0-9: {where}")
    return "".join(str(int(v)) for v in arr)


def _cell3(k: int) -> list[int]:
    return [4 * k, 4 * k + 1, 4 * k + 2]


def solve(puzzle: str | np.ndarray, *, max_steps: int = 2_000_000) -> SudokuTrajectory:
    """Run the MRV backtracking search and record it as an AP-MDM trajectory (see the module docstring).

    Parameters
    ----------
    puzzle : 81-character string or (81,) grid (0 = blank); validated by :func:`parse_puzzle`.
    max_steps : cap on AP-MDM steps (:class:`~reductions.errors.InstanceTooLarge` beyond it; the error names this
        argument, and the CLI re-raises it naming ``--max-steps``).

    Examples
    --------
    >>> t = solve("534678912672195348198342567859761423426853791713924856961537284287419635345286170")
    >>> t.solved, t.steps, t.context, int(t.solution[-1])
    (True, 2, 324, 9)

    Notes
    -----
    O(steps) numpy passes over 81 cells (candidates as 9-bit masks, MRV by ``argmin``); the value slots are checked
    against the solver's grid after every event (lock step).  Serves PAPER.md §3.1 and Theorem 4's test-time
    scaling: steps grow with backtracks while the context stays 324.
    """
    grid = parse_puzzle(puzzle) if isinstance(puzzle, str) else parse_puzzle(_grid_text(puzzle))
    g = grid.astype(np.int64)
    units = np.zeros((3, 9), dtype=np.int64)  # used-digit masks of rows, cols, boxes
    for i in np.flatnonzero(g).tolist():
        bit = 1 << (int(g[i]) - 1)
        units[0, ROW[i]] |= bit
        units[1, COL[i]] |= bit
        units[2, BOX[i]] |= bit
    rec = _Recorder(encode_grid(grid))
    stack: list[tuple[int, list[int], int]] = []  # (start cell, remaining candidates, trail index of start)
    trail: list[int] = []
    n_assign = n_branch = n_contra = n_back = max_depth = 0

    def put(i: int, v: int) -> None:
        g[i] = v
        bit = 1 << (v - 1)
        units[0, ROW[i]] |= bit
        units[1, COL[i]] |= bit
        units[2, BOX[i]] |= bit

    def take(i: int) -> None:
        bit = ~(1 << (int(g[i]) - 1))
        units[0, ROW[i]] &= bit
        units[1, COL[i]] &= bit
        units[2, BOX[i]] &= bit
        g[i] = 0

    solved = False
    while True:
        if len(rec.ys) > max_steps:
            _too_many(len(rec.ys), max_steps)
        cand = FULL & ~(units[0][ROW] | units[1][COL] | units[2][BOX])
        cnt = np.where(g == 0, POPCOUNT[cand], 10)
        i = int(np.argmin(cnt))
        c = int(cnt[i])
        depth = len(stack)
        if c == 10:
            solved = True
            break
        if c == 1:
            v = int(cand[i]).bit_length()
            put(i, v)
            trail.append(i)
            n_assign += 1
            rec.step(_cell3(i), [])
            rec.step([], [(4 * i, v), (4 * i + 1, colour_token(depth)), (4 * i + 2, NORMAL)])
        elif c > 1:
            digits = [d for d in range(1, 10) if int(cand[i]) >> (d - 1) & 1]
            stack.append((i, digits[1:], len(trail)))
            trail.append(i)
            put(i, digits[0])
            n_branch += 1
            max_depth = max(max_depth, len(stack))
            rec.step(_cell3(i), [])
            rec.step([], [(4 * i, digits[0]), (4 * i + 1, colour_token(depth + 1)), (4 * i + 2, BRANCH)])
        else:
            n_contra += 1
            rec.step(_cell3(i), [])
            rec.step([], [(4 * i, EMPTY), (4 * i + 1, colour_token(depth)), (4 * i + 2, SKULL)])
            if not stack:
                break  # exhausted: no open branch is left
            s, rest, start = stack.pop()
            old = int(g[s])
            cleared = trail[start + 1:]
            for k in reversed(cleared):
                take(k)
            take(s)
            del trail[start:]
            n_back += 1
            cells = [*cleared, i]
            rec.step([p for k in cells for p in _cell3(k)] + [4 * s + 2], [])
            unm = [(p, t) for k in cells for p, t in zip(_cell3(k), (EMPTY, WHITE, NORMAL), strict=True)]
            rec.step([4 * s, 4 * s + 1], [*unm, (4 * s + 2, old)])
            v = rest[0]
            if len(rest) > 1:
                stack.append((s, rest[1:], len(trail)))
                mark = BRANCH
            else:
                mark = NORMAL
            trail.append(s)
            put(s, v)
            rec.step([4 * s + 2], [(4 * s, v), (4 * s + 1, colour_token(len(stack)))])
            rec.step([], [(4 * s + 2, mark)])
        vals = rec.x[0::4]
        if not np.array_equal(np.where(vals == EMPTY, 0, vals), g):
            raise LockstepMismatch(f"step {len(rec.ys)}: value slots differ from the solver's grid")
    if len(rec.ys) > max_steps:  # the last event may have crossed the cap
        _too_many(len(rec.ys), max_steps)
    states = np.stack(rec.xs)
    y = np.stack(rec.ys) if rec.ys else np.zeros((0, CONTEXT), np.uint8)
    r = np.stack(rec.rs) if rec.rs else np.zeros((0, CONTEXT), np.bool_)
    counts = SearchCounts(assigns=n_assign, branches=n_branch, contradictions=n_contra, backtracks=n_back,
                          max_depth=max_depth)
    return SudokuTrajectory(puzzle=grid, states=states, y=y, remask=r, solved=solved,
                            solution=decode_values(states[-1]) if solved else None, counts=counts)


def final_is_fixed_point(state: np.ndarray) -> bool:
    """Whether the search has nothing left to do at ``state``: the predictor of
    :mod:`reductions.tasks.sudoku_policy` (a pure function of the sequence) applied to it, then Algorithm 1's ``g``
    (:func:`machines.transition.apply_g`), leaves it unchanged.

    Examples
    --------
    >>> t = solve("1" + "." * 80)
    >>> final_is_fixed_point(t.states[-1]), final_is_fixed_point(t.states[0])
    (True, False)
    """
    from reductions.tasks.sudoku_policy import sudoku_predictor  # sudoku_policy's doctests import this module

    x = np.asarray(state, dtype=np.int64)
    p = sudoku_predictor(x)
    nxt = apply_g(x, p.y, p.remask, p.insert, p.delete, mask_id=MASK)
    return bool(np.array_equal(nxt, x))


def verify_trajectory(traj: SudokuTrajectory, *, sample: int = 16, seed: int = 0) -> list[str]:
    """Every reason the trajectory is not a valid AP-MDM run (empty = valid).

    Checks: shapes and dtypes; start = encoding of the puzzle; ``g(x_t, y_t, r_t) == x_{t+1}`` for **every** t,
    as one batched pass of array operations over the ``(T, 324)`` arrays (Algorithm 1 without insert/delete, case
    by case: a remasked position becomes MASK, an unmasked mask becomes ``y``, every other position keeps its
    token; a ``y`` of MASK at an unmasked mask is a rejection); for ``sample`` seeded random steps also by the
    plain-list :func:`~machines.transition.apply_g_reference`; ``y`` is never MASK where it is used and equals
    ``x_t`` off masks; context 324 throughout; no MASK in the final state; the declared outcome (solved: no empty
    cell; unsolved: a SKULL outside every branch); and that the final state is a fixed point
    (:func:`final_is_fixed_point`: the sequence-only predictor of :mod:`reductions.tasks.sudoku_policy` followed by
    ``g`` leaves it unchanged).

    :func:`verify_trajectory_reference` makes the same checks with one call of the independent
    :func:`~machines.transition.apply_g` per step; the tests require both to return the same list on valid and on
    corrupted trajectories.

    Notes
    -----
    About a dozen numpy passes over the ``T * 324`` tokens in their own dtype (uint8 from :func:`solve`), plus
    ``sample`` calls of the reference ``g`` on 324 tokens and one predictor call on the final state.
    """
    return _verify(traj, sample, seed, _steps_batched)


def verify_trajectory_reference(traj: SudokuTrajectory, *, sample: int = 16, seed: int = 0) -> list[str]:
    """:func:`verify_trajectory` with its per-step part as a plain loop: ``apply_g`` on each step, then ``y``.

    The oracle the batched path is tested against; same arguments, same checks, same messages.

    Notes
    -----
    O(T) calls of :func:`~machines.transition.apply_g` on 324 tokens (about 10 us each).
    """
    return _verify(traj, sample, seed, _steps_per_step)


StepCheck = Callable[[np.ndarray, np.ndarray, np.ndarray], list[str]]


def _verify(traj: SudokuTrajectory, sample: int, seed: int, steps: StepCheck) -> list[str]:
    st, y, r = (np.asarray(a) for a in (traj.states, traj.y, traj.remask))
    if st.ndim != 2 or st.shape[1] != CONTEXT or y.shape != (st.shape[0] - 1, CONTEXT) or r.shape != y.shape:
        return [f"shapes: states {st.shape}, y {y.shape}, remask {r.shape}"]
    if st.dtype.kind not in "iu" or y.dtype.kind not in "iu" or r.dtype.kind not in "iub":
        return [f"dtypes: states {st.dtype}, y {y.dtype}, remask {r.dtype} (integer tokens; a bool or 0/1 remask)"]
    if r.dtype.kind != "b":
        if ((r != 0) & (r != 1)).any():
            return ["remask must hold only 0/1"]
        r = r != 0
    problems = []
    if not np.array_equal(st[0], encode_grid(traj.puzzle)):
        problems.append("the first state is not the encoded puzzle")
    problems += steps(st, y, r)
    n_steps = y.shape[0]
    if n_steps and sample > 0:
        rng = np.random.default_rng(seed)
        ts = np.sort(rng.choice(n_steps, size=min(sample, n_steps), replace=False))
        rows = zip(ts.tolist(), st[ts].tolist(), y[ts].tolist(), r[ts].tolist(), st[ts + 1].tolist(), strict=True)
        for t, xt, yt, rt, want in rows:
            try:
                ref = apply_g_reference(xt, yt, rt, mask_id=MASK)
            except MachineError as exc:
                problems.append(f"the reference g rejects step t={t + 1}: {exc}")
                break
            if ref != want:
                problems.append(f"the reference g disagrees with x_(t+1) at step t={t + 1}")
                break
    last = st[-1]
    if (last == MASK).any():
        problems.append("the final state still holds MASK")
    marks = last[2::4]
    if traj.solved:
        if (last[0::4] == EMPTY).any():
            problems.append("declared solved but a cell is empty")
    elif not ((marks == SKULL) & (last[1::4] == WHITE)).any():
        problems.append("declared unsolved but no SKULL outside a branch ends the search")
    if not (last == MASK).any():
        try:
            fixed = final_is_fixed_point(last)
        except ReductionError as exc:
            problems.append(f"the final state cannot be read by the sequence-only predictor: {exc}")
        else:
            if not fixed:
                problems.append("the final state is not a fixed point: the predictor still has a step to take")
    return problems


_ROWS = 128  # steps per block of the batched check: a block's temporaries stay in cache (no page faults)


def _steps_batched(st: np.ndarray, y: np.ndarray, r: np.ndarray) -> list[str]:
    """g and the ``y`` rules on every step with array operations (``r`` bool), in blocks of :data:`_ROWS` steps.

    A ``y`` of MASK at an unmasked mask rejects its step (``apply_g`` raises there); the steps before the first
    rejection whose next state breaks a case of g are the mismatches.
    """
    n_steps = y.shape[0]
    problems = []
    first = n_steps  # the first rejected step
    bad: list[np.ndarray] = []  # mismatching steps before it
    y_off = False
    for a in range(0, n_steps, _ROWS):
        b = min(a + _ROWS, n_steps)
        x, yb, rb, nxt = st[a:b], y[a:b], r[a:b], st[a + 1:b + 1]
        is_m = x == MASK
        y_off = y_off or bool(((yb != x) > is_m).any())
        if first < n_steps:
            continue  # past the rejection only the y rule above is left
        y_mask = (yb == MASK) & (is_m > rb)  # y of MASK at a mask that is not remasked
        stop = rb.shape[0]
        if y_mask.any():
            flat = int(np.argmax(y_mask))
            stop, first = flat // CONTEXT, a + flat // CONTEXT
            problems.append(f"g rejects step t={first + 1}: y is MASK at unmasked position {flat % CONTEXT}")
        want = x.copy()  # keep ...
        np.copyto(want, yb, where=is_m)  # ... unmask the masks ...
        np.copyto(want, MASK, where=rb)  # ... and MASK wherever remasked
        diff = want[:stop] != nxt[:stop]
        if diff.any():
            bad.append(a + np.flatnonzero(diff.any(axis=1)))
    if bad:
        steps = np.concatenate(bad)
        problems.append(_mismatch(int(steps.size), int(steps[0])))
    if first < n_steps:
        problems.append("y is MASK at an unmasked position")
    if y_off:
        problems.append("y differs from x off the masks")
    return problems


def _steps_per_step(st: np.ndarray, y: np.ndarray, r: np.ndarray) -> list[str]:
    """Reference of :func:`_steps_batched`: one ``apply_g`` per step, then the ``y`` rules step by step."""
    problems = []
    bad_steps = []
    for t in range(y.shape[0]):
        try:
            nxt = apply_g(st[t], y[t], r[t], mask_id=MASK)
        except MachineError as exc:
            problems.append(f"g rejects step t={t + 1}: {exc}")
            break
        if not np.array_equal(nxt, st[t + 1]):
            bad_steps.append(t)
    if bad_steps:
        problems.append(_mismatch(len(bad_steps), bad_steps[0]))
    if any(bool(((y[t] == MASK) & (st[t] == MASK) & ~r[t]).any()) for t in range(y.shape[0])):
        problems.append("y is MASK at an unmasked position")
    if any(bool(((y[t] != st[t]) & (st[t] != MASK)).any()) for t in range(y.shape[0])):
        problems.append("y differs from x off the masks")
    return problems


def _mismatch(count: int, first: int) -> str:
    return f"g(x_t, y_t, ctrl_t) != x_(t+1) at {count} step(s), first t={first + 1}"


def transitions(instance: str | np.ndarray | SudokuTrajectory) -> list[Transition]:
    """Training tuples ``(x_k, y*, remask*, insert*, delete*, x_{k+1})`` (int64) of the search on ``instance``.

    Examples
    --------
    >>> ts = transitions("." + "34678912672195348198342567859761423426853791713924856961537284287419635345286179")
    >>> len(ts), ts[0].remask[:4].tolist(), ts[-1].x_next[:4].tolist()
    (2, [1, 1, 1, 0], [5, 11, 27, 30])
    """
    traj = instance if isinstance(instance, SudokuTrajectory) else solve(instance)
    return list(iter_transitions(traj))


def iter_transitions(traj: SudokuTrajectory) -> Iterator[Transition]:
    """Lazy form of :func:`transitions` (no list of a hard puzzle's ~10^5 tuples in memory)."""
    zeros = np.zeros(CONTEXT, dtype=np.int64)
    for t in range(traj.steps):
        yield Transition(x=traj.states[t].astype(np.int64), y=traj.y[t].astype(np.int64),
                         remask=traj.remask[t].astype(np.int64), insert=zeros.copy(), delete=zeros.copy(),
                         x_next=traj.states[t + 1].astype(np.int64))


# -- decision types: the solver event of a step, read off its tokens ---------------------------------------------------
def decision_type(x: np.ndarray, y: np.ndarray, remask: np.ndarray) -> str:
    """The kind of an oracle step ``(x, y*, remask*)`` of this process (the event table of the module notes):
    ``cell-choice`` (remask the 3 tokens of the MRV cell: step 1 of an assign, branch or contradiction), ``assign`` /
    ``branch`` / ``contradiction`` (their step 2), ``backtrack-remask`` / ``backtrack-restore`` (the two steps of a
    backtrack), ``refill-value`` / ``refill-marker`` (the two steps of the refill), or ``halt`` (a no-op).

    Examples
    --------
    >>> t = solve("1" + "." * 80)
    >>> decision_type(t.states[0], t.y[0], t.remask[0]), decision_type(t.states[1], t.y[1], t.remask[1])
    ('cell-choice', 'branch')

    Notes
    -----
    ``O(324)``; labels are one of :data:`DECISIONS`.  Exact on the oracle's steps; a step of any other trajectory gets
    the event whose token pattern it has (used to break learned models' errors down by decision type).
    """
    x = np.asarray(x).reshape(81, 4)
    y = np.asarray(y).reshape(81, 4)
    r = np.asarray(remask).reshape(81, 4).astype(bool)
    m = x == MASK
    full = m[:, 0] & m[:, 1] & m[:, 2]
    part = ~m[:, 0] & ~m[:, 1] & m[:, 2]
    head = m[:, 0] & m[:, 1] & ~m[:, 2]
    if not m.any():
        if not r.any():
            return "halt"
        return "cell-choice" if int(r.sum()) == 3 and r[:, :3].all(axis=1).sum() == 1 else "backtrack-remask"
    if full.any() and part.any():
        return "backtrack-restore"
    if full.any():
        mark = int(y[np.flatnonzero(full)[0], 2])
        return {NORMAL: "assign", BRANCH: "branch", SKULL: "contradiction"}.get(mark, "backtrack-restore")
    if head.any():
        return "refill-value"
    return "refill-marker"
