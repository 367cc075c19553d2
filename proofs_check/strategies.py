"""Hypothesis strategies for PRAM program inputs, shared by the tests and the sweeps.

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
from typing import Any

from hypothesis import strategies as st

from pram.programs import PROGRAMS, get_program
from pram.rng import as_generator

__all__ = ["TEST_MAX_N", "TEST_MIN_N", "cap_n", "instances", "json_lists", "min_n_of", "program_instances",
           "program_names"]

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
