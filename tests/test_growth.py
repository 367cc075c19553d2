"""Growth classification (proofs_check.growth): every class recovered, ratios, tolerance, no log-log slope."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs_check.growth import CLASS_NAMES, CLASSES, classify_growth, doubling_ratios

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


def test_a_small_power_is_not_mistaken_for_a_larger_class():
    # n^0.2 is in no candidate class: it is classified as a slow class, never as "sqrt n" or faster
    fit = classify_growth(NS, [n**0.2 for n in NS])
    assert fit.at_most("sqrt n")
    assert not fit.consistent_with("n")


@given(st.sampled_from(CLASS_NAMES[1:-1]), st.floats(0.5, 20), st.floats(0, 50))
def test_noise_free_affine_data_classified_exactly(name, scale, offset):
    f = dict(CLASSES)[name]
    fit = classify_growth(NS, scale * f(np.asarray(NS, dtype=float)) + offset)
    assert fit.best == name


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 3"):
        classify_growth([1, 2], [1, 2])
    with pytest.raises(ValueError, match="unknown growth classes"):
        classify_growth([1, 2, 4], [1, 2, 3], candidates=["n^7"])
    with pytest.raises(ValueError, match="values > 0"):
        classify_growth([1, 2, 4], [1, 0, 3])
    fit = classify_growth([2, 4, 8], [1, 2, 4], candidates=["n", "n^2"])
    assert fit.best == "n" and set(fit.residuals) == {"n", "n^2"}
    assert fit.to_json()["best"] == "n"
