"""Explicit sympy bounds and O-class membership (proofs_check.bounds)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs_check.bounds import Bound, in_class
from proofs_check.errors import ClaimError


def test_exact_evaluation_and_comparison():
    b = Bound("steps", "2*ceiling(log(n, 2)) + 3", ("n",))
    assert b.evaluate(n=1024) == 23 and b.evaluate(n=1025) == 25
    assert b.holds(23, n=1024) and not b.holds(24, n=1024)
    eq = Bound("steps", "T + 1", ("T",), kind="eq")
    assert eq.holds(5, T=4) and not eq.holds(4, T=4)


def test_irrational_bound_compared_exactly_not_by_float():
    b = Bound("x", "3*log(n, 2)", ("n",))  # 3 log2(1000) = 29.897...
    assert b.holds(29, n=1000) and not b.holds(30, n=1000)
    assert b.render(n=1000) == "29"


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 50))
def test_linear_bounds_match_integer_arithmetic(P, T, m):
    b = Bound("context", "4*P*T + n + 3", ("P", "T", "n"))
    value = 4 * P * T + m + 3
    assert b.evaluate(P=P, T=T, n=m) == value
    assert b.holds(value, P=P, T=T, n=m) and not b.holds(value + 1, P=P, T=T, n=m)


def test_min_allows_zero():
    b = Bound("steps", "Min(T, 1)*5 + 2*T", ("T",), kind="eq")
    assert b.holds(0, T=0) and b.holds(7, T=1)


def test_malformed_bounds_report_every_problem():
    with pytest.raises(ClaimError, match="undeclared variables \\['Q'\\]"):
        Bound("x", "Q + 1", ("n",))
    with pytest.raises(ClaimError, match="kind must be"):
        Bound("x", "n", ("n",), kind="ge")
    with pytest.raises(ClaimError, match="cannot parse"):
        Bound("x", "n +* ", ("n",))
    with pytest.raises(ClaimError, match="needs values"):
        Bound("x", "n + 1", ("n",)).evaluate()


@pytest.mark.parametrize(("expr", "big_o", "expected"), [
    ("4*n*log(n) + 7", "n**2", True),
    ("n*log(n)", "n", False),
    ("2*ceiling(log(n, 2)) + 3", "log(n)", True),
    ("n**3", "n**2", False),
    ("17", "1", True),
    ("2**n", "n**100", False),
    ("n**100", "2**n", True),
    ("log(n)**2", "sqrt(n)", True),
])
def test_in_class(expr, big_o, expected):
    assert in_class(expr, "n", big_o) is expected


def test_in_class_is_one_variable_only():
    with pytest.raises(ClaimError, match="undeclared"):
        in_class("P*T", "T", "T")
