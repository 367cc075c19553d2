"""Growth classification (proofs_check.growth): every class recovered, ratios, tolerance, no log-log slope."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs_check.errors import ClaimError
from proofs_check.growth import CLASS_NAMES, CLASSES, class_function, classify_growth, doubling_ratios

NS = [2**k for k in range(3, 12)]


@pytest.mark.parametrize(("name", "f"), CLASSES)
@pytest.mark.parametrize(("scale", "offset"), [(1.0, 0.0), (3.0, 5.0), (0.25, 100.0)])
def test_each_class_is_recovered_from_exact_data(name, f, scale, offset):
    ns = list(range(3, 20)) if name == "2^n" else NS
    values = scale * f(np.asarray(ns, dtype=float)) + offset
    fit = classify_growth(ns, values)
    assert fit.best == name
    assert fit.consistent_with(name)
    if name != "1":
        assert fit.scale == pytest.approx(scale, rel=1e-6)


def test_integer_counters_with_ceilings():
    ns = NS
    assert classify_growth(ns, [2 * int(np.ceil(np.log2(n))) + 3 for n in ns]).best == "log n"
    assert classify_growth(ns, [n * int(np.log2(n)) + 7 for n in ns]).best == "n log n"
    assert classify_growth(ns, [int(np.log2(n)) ** 2 + 1 for n in ns]).best == "log^2 n"


def test_doubling_ratios_are_model_free_witnesses():
    assert doubling_ratios([1, 2, 4, 8], [1, 4, 16, 64]) == [4.0, 4.0, 4.0]
    assert doubling_ratios([1, 3, 6], [1, 5, 10]) == [2.0]  # only pairs that double
    fit = classify_growth(NS, [n for n in NS])
    assert fit.ratios == [2.0] * (len(NS) - 1)


def test_a_small_power_is_classified_as_log_squared_a_documented_limit():
    # n^0.2 is in no candidate class.  On n = 8..2048 the least-squares winner is exactly "log^2 n" (residual ~0.008,
    # against ~0.054 for log n and ~0.079 for sqrt n): the documented limit of a finite range (growth.py docstring).
    # The model-free witness tells them apart: the doubling ratios of n^0.2 are constant (2^0.2), those of a
    # polylog strictly decrease towards 1.
    fit = classify_growth(NS, [n**0.2 for n in NS])
    assert fit.best == "log^2 n"
    assert not fit.consistent_with("log n") and not fit.consistent_with("sqrt n") and not fit.consistent_with("n")
    assert fit.ratios == pytest.approx([2**0.2] * (len(NS) - 1))
    polylog = classify_growth(NS, [np.log2(n) ** 2 for n in NS])
    r = polylog.ratios
    assert polylog.best == "log^2 n" and all(b < a for a, b in zip(r[:-1], r[1:], strict=True))


@given(st.sampled_from(CLASS_NAMES[1:-1]), st.floats(0.5, 20), st.floats(0, 50))
def test_noise_free_affine_data_classified_exactly(name, scale, offset):
    f = dict(CLASSES)[name]
    fit = classify_growth(NS, scale * f(np.asarray(NS, dtype=float)) + offset)
    assert fit.best == name


def test_bad_inputs_raise_claim_error():
    with pytest.raises(ClaimError, match="at least 3"):
        classify_growth([1, 2], [1, 2])
    with pytest.raises(ClaimError, match="unknown growth classes"):
        classify_growth([1, 2, 4], [1, 2, 3], candidates=["n^7"])
    with pytest.raises(ClaimError, match="values > 0"):
        classify_growth([1, 2, 4], [1, 0, 3])
    with pytest.raises(ClaimError, match="1-D"):
        classify_growth([1, 2, 4], [1, 2])
    with pytest.raises(ClaimError, match="unknown growth class 'n!'"):
        class_function("n!")
    with pytest.raises(ClaimError, match="unknown growth class"):
        classify_growth([2, 4, 8], [1, 2, 4]).at_most("n^7")
    fit = classify_growth([2, 4, 8], [1, 2, 4], candidates=["n", "n^2"])
    assert fit.best == "n" and set(fit.residuals) == {"n", "n^2"}
    assert fit.to_json()["best"] == "n"


# -- resolution: a verdict only where the sweep can resolve it (STYLE.md point 19) ----------------------------------

from proofs_check.growth import MIN_POINTS, MIN_SPAN, UNDECIDED  # noqa: E402


@pytest.mark.parametrize(("name", "f"), CLASSES)
def test_exact_classes_with_enough_points_get_their_verdict(name, f):
    ns = list(range(3, 20)) if name == "2^n" else NS
    fit = classify_growth(ns, 2.5 * f(np.asarray(ns, dtype=float)) + 7)
    assert fit.verdict == name and fit.decided and fit.is_class(name) and not fit.reason


@pytest.mark.parametrize("values", [[1, 2, 2], [3, 5, 7], [4, 16, 64], [5, 5, 5], [1, 2, 4]])
def test_three_points_are_undecided(values):
    fit = classify_growth([4, 8, 16], values)
    assert fit.verdict == UNDECIDED and fit.is_class("1") is None and fit.grows_at_most("n^3") is None
    assert "too few sizes" in fit.reason


def test_the_reported_counter_of_issue_13_is_not_log_n():
    # max ops/position over T = 4..64 measured 1, 2, 2, 2, 2: a saturating counter, no candidate fits it well
    fit = classify_growth([4, 8, 16, 32, 64], [1, 2, 2, 2, 2])
    assert fit.best == "log n" and fit.verdict == UNDECIDED and "no candidate fits well" in fit.reason


def test_a_short_span_is_undecided_however_many_points():
    ns = list(range(16, 16 + MIN_POINTS + 3))  # max/min < MIN_SPAN
    assert max(ns) / min(ns) < MIN_SPAN
    assert classify_growth(ns, [3 * n + 1 for n in ns]).verdict == UNDECIDED


def test_two_classes_fitting_alike_leave_the_verdict_open_but_bound_it():
    ns = [2**k for k in range(3, 9)]
    fit = classify_growth(ns, [n * 1.0 for n in ns], tolerance=50.0)  # a huge slack: many classes "consistent"
    assert fit.verdict == UNDECIDED and len(fit.consistent) > 1 and fit.resolved
    assert fit.grows_at_most("2^n") is True and fit.grows_at_most("1") is None


def _draw_points(data_name: str, k: int, lo: int) -> list[int]:
    return list(range(1 + lo, 1 + lo + 2 * k)) if data_name == "2^n" else [2 ** (j + lo) for j in range(k)]


@given(st.sampled_from(CLASS_NAMES), st.integers(3, 9), st.integers(0, 4), st.floats(0.01, 1000),
       st.floats(0, 1e4))
def test_noise_free_data_never_get_a_wrong_verdict(name, k, lo, scale, offset):
    """On ``offset + scale * f(n)`` of any listed class (constant included), at any number of sizes, the verdict is
    that class or "undecided" -- never another class."""
    ns = _draw_points(name, k, lo)
    values = scale * dict(CLASSES)[name](np.asarray(ns, dtype=float)) + offset
    fit = classify_growth(ns, values)
    assert fit.verdict in (name, UNDECIDED)
    if fit.decided:
        assert len(ns) >= MIN_POINTS and max(ns) / min(ns) >= MIN_SPAN
