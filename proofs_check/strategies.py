"""Hypothesis strategies for PRAM program inputs and AP-MDM states, shared by the tests and the sweeps.

AP-MDM states come with their controls (:func:`apmdm_steps`: a sequence, predictions and the 3-bit control per
position) and as edit logs (:func:`edit_logs`: a start sequence and several steps, each sized to the sequence the
previous one left, with every intermediate sequence recorded by the plain reference of ``g``).

Every program gets instances from its own seeded ``random_instance(n, rng)`` (so any program added to
:data:`pram.programs.PROGRAMS` is covered automatically).  Programs whose JSON input is a list of values or bits
also get hand-drawn lists through ``parse_instance`` -- duplicates, negatives, extremes, all-equal -- which a seeded
generator rarely produces.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, database=None)
... @given(program_instances(max_n=6))
... def check(pair):
...     name, inst = pair
...     assert get_program(name).size(inst) >= 1
>>> check()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from machines.transition import apply_g_reference
from pram.programs import PROGRAMS, get_program
from pram.rng import as_generator
from proofs_check.errors import UsageError

__all__ = ["TEST_MAX_N", "TEST_MIN_N", "ApmdmStep", "EditLog", "apmdm_steps", "cap_n", "edit_logs", "instances",
           "json_lists", "min_n_of", "program_instances", "program_names"]

#: Programs whose time grows fast with n get smaller test sizes (SAT: T = 2^n + 2; iterate: T = n).
TEST_MAX_N: dict[str, int] = {"sat": 4, "iterate": 24}


#: Smallest n a program's ``random_instance`` accepts, where it is not 0 (every library program takes n = 0 today).
TEST_MIN_N: dict[str, int] = {}


def min_n_of(name: str) -> int:
    """The smallest test size of program ``name`` (0 unless :data:`TEST_MIN_N` says otherwise)."""
    return TEST_MIN_N.get(name, 0)


def cap_n(name: str, n: int) -> int:
    """``n`` capped at the program's test size (:data:`TEST_MAX_N`), so every property test stays fast."""
    return min(n, TEST_MAX_N.get(name, n))


#: Magnitude of hand-drawn values: far inside the default 40-bit machine word even after summing n of them.
VALUE_BOUND = 1 << 20


def program_names(names: Sequence[str] | None = None) -> st.SearchStrategy[str]:
    """One of the registered programs (or of ``names``), in sorted order so shrinking goes to the first."""
    return st.sampled_from(sorted(PROGRAMS) if names is None else sorted(names))


def json_lists(name: str, max_n: int) -> st.SearchStrategy[Any] | None:
    """A strategy of JSON inputs for list-shaped formats (``{"values": [int]}``, ``{"bits": [0|1]}``), or None."""
    fmt = getattr(get_program(name), "input_format", "")
    if fmt.startswith('{"values"'):
        ints = st.one_of(st.integers(-VALUE_BOUND, VALUE_BOUND), st.sampled_from([0, 1, -1, VALUE_BOUND]))
        return st.builds(lambda v: {"values": v}, st.lists(ints, min_size=1, max_size=max_n))
    if fmt.startswith('{"bits"'):
        return st.builds(lambda v: {"bits": v}, st.lists(st.integers(0, 1), min_size=1, max_size=max_n))
    return None


@st.composite
def _seeded(draw: st.DrawFn, name: str, max_n: int, min_n: int) -> Any:
    lo = max(min_n, min_n_of(name))
    n = draw(st.integers(lo, max(lo, cap_n(name, max_n))))
    seed = draw(st.integers(0, 2**32 - 1))
    return get_program(name).random_instance(n, as_generator(seed))


def instances(name: str, *, max_n: int = 16, min_n: int = 1) -> st.SearchStrategy[Any]:
    """Instances of program ``name``: seeded random ones, and hand-drawn lists where the format allows.

    ``min_n = 0`` includes the empty instance (raised to the program's :func:`min_n_of` where it needs more).
    """
    seeded = _seeded(name, max_n, min_n)
    lists = json_lists(name, max_n) if min_n <= 1 else None
    if lists is None:
        return seeded
    program = get_program(name)
    return st.one_of(seeded, lists.map(program.parse_instance))


@st.composite
def _pairs(draw: st.DrawFn, names: Sequence[str] | None, max_n: int, min_n: int) -> tuple[str, Any]:
    name = draw(program_names(names))
    return name, draw(instances(name, max_n=max_n, min_n=min_n))


def program_instances(max_n: int = 16, names: Sequence[str] | None = None, *,
                      min_n: int = 1) -> st.SearchStrategy[tuple[str, Any]]:
    """``(program name, instance)`` pairs over every registered program (or ``names``); ``min_n = 0`` includes
    the empty instances."""
    return _pairs(names, max_n, min_n)


# ------------------------------------------------------------------------------------------ AP-MDM states and logs

@dataclass(frozen=True, slots=True)
class ApmdmStep:
    """One AP-MDM step's input: the sequence ``x``, the predictions ``y`` (never MASK) and the controls per position
    (0/1 lists of ``len(x)``); ``mask_id`` is the id of MASK."""

    x: tuple[int, ...]
    y: tuple[int, ...]
    remask: tuple[int, ...]
    insert: tuple[int, ...]
    delete: tuple[int, ...]
    mask_id: int

    def apply(self) -> list[int]:
        """The next sequence by the plain reference of ``g`` (:func:`machines.transition.apply_g_reference`)."""
        return apply_g_reference(self.x, self.y, self.remask, self.insert, self.delete, mask_id=self.mask_id)


@dataclass(frozen=True, slots=True)
class EditLog:
    """A start sequence, the steps applied to it, and every sequence after a step (``states[t]`` follows
    ``steps[t]``; ``steps[t + 1].x == states[t]``)."""

    x0: tuple[int, ...]
    steps: tuple[ApmdmStep, ...]
    states: tuple[tuple[int, ...], ...]


def _bits(n: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(st.integers(0, 1), min_size=n, max_size=n).map(tuple)


@st.composite
def _step_on(draw: st.DrawFn, x: tuple[int, ...], vocab_size: int, mask_id: int) -> ApmdmStep:
    n = len(x)
    words = st.integers(0, vocab_size - 1).filter(lambda t: t != mask_id)
    y = tuple(draw(st.lists(words, min_size=n, max_size=n)))
    return ApmdmStep(x=x, y=y, remask=draw(_bits(n)), insert=draw(_bits(n)), delete=draw(_bits(n)), mask_id=mask_id)


@st.composite
def _sequence(draw: st.DrawFn, min_len: int, max_len: int, vocab_size: int, mask_id: int) -> tuple[int, ...]:
    """Tokens with MASK drawn often (a third of the time), so unmask, delete and remask all have work."""
    token = st.one_of(st.just(mask_id), st.integers(0, vocab_size - 1), st.integers(0, vocab_size - 1))
    return tuple(draw(st.lists(token, min_size=min_len, max_size=max_len)))


def apmdm_steps(*, min_len: int = 0, max_len: int = 12, vocab_size: int = 6,
                mask_id: int = 0) -> st.SearchStrategy[ApmdmStep]:
    """One AP-MDM state with its controls: a sequence of ``min_len..max_len`` tokens over ``vocab_size`` ids (MASK
    among them), predictions and 3-bit controls per position.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, database=None)
    ... @given(apmdm_steps(max_len=4))
    ... def check(s):
    ...     assert len(s.y) == len(s.remask) == len(s.insert) == len(s.delete) == len(s.x) <= 4
    >>> check()
    """
    if vocab_size < 2 or not 0 <= mask_id < vocab_size:
        raise UsageError(f"need vocab_size >= 2 and 0 <= mask_id < vocab_size, got {vocab_size}, {mask_id}")
    return _sequence(min_len, max_len, vocab_size, mask_id).flatmap(lambda x: _step_on(x, vocab_size, mask_id))


@st.composite
def _logs(draw: st.DrawFn, max_len: int, max_steps: int, vocab_size: int, mask_id: int) -> EditLog:
    x0 = draw(_sequence(0, max_len, vocab_size, mask_id))
    steps, states, x = [], [], x0
    for _ in range(draw(st.integers(0, max_steps))):
        step = draw(_step_on(x, vocab_size, mask_id))
        x = tuple(step.apply())
        steps.append(step)
        states.append(x)
    return EditLog(x0=x0, steps=tuple(steps), states=tuple(states))


def edit_logs(*, max_len: int = 8, max_steps: int = 5, vocab_size: int = 6,
              mask_id: int = 0) -> st.SearchStrategy[EditLog]:
    """Edit logs: a start sequence of at most ``max_len`` tokens and up to ``max_steps`` AP-MDM steps, each with
    controls sized to the sequence the previous step left (lengths grow by insert and shrink by delete).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, database=None)
    ... @given(edit_logs(max_steps=3))
    ... def check(log):
    ...     assert len(log.steps) == len(log.states) <= 3
    >>> check()
    """
    if vocab_size < 2 or not 0 <= mask_id < vocab_size:
        raise UsageError(f"need vocab_size >= 2 and 0 <= mask_id < vocab_size, got {vocab_size}, {mask_id}")
    return _logs(max_len, max_steps, vocab_size, mask_id)
