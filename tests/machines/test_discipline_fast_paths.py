"""The AP-MDM discipline's cheap paths (issue 17) give the verdicts and counts of the plain rules.

The check skips all-zero control vectors, reads 0/1 from two counts and checks few written tokens in a Python loop
and many with numpy.  Here every control is sent in several dtypes (bool, int64, int8, uint8, a list), the counts
and the next sequence are compared with a plain model (``apply_g_reference`` and list comprehensions written
from Algorithm 1), and a bad written token is planted among few and among many written tokens.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.discipline import advance
from machines.errors import DisciplineViolation
from machines.predictor import Prediction
from machines.transition import apply_g_reference

M, V = 0, 6  # MASK id and vocabulary size

DTYPES = ["bool", "int64", "int8", "uint8", "list"]


def as_dtype(bits: list[int], kind: str) -> object:
    return bits if kind == "list" else np.array(bits, dtype=kind)


@given(data=st.data(), n=st.integers(1, 40))
def test_counts_and_next_sequence_match_the_plain_model(data: st.DataObject, n: int) -> None:
    x = data.draw(st.lists(st.sampled_from([M, M, 1, 2, 5]), min_size=n, max_size=n))
    y = data.draw(st.lists(st.integers(1, V - 1), min_size=n, max_size=n))
    bits = st.one_of(st.none(), st.lists(st.sampled_from([0, 0, 1]), min_size=n, max_size=n))
    r, e, c = data.draw(bits), data.draw(bits), data.draw(bits)
    kinds = data.draw(st.tuples(*[st.sampled_from(DTYPES)] * 3))
    ctrl = [None if b is None else as_dtype(b, k) for b, k in zip((r, e, c), kinds, strict=True)]
    out = advance("ap-mdm", np.array(x, dtype=np.int64),
                  Prediction(y=np.array(y), remask=ctrl[0], insert=ctrl[1], delete=ctrl[2]),
                  step=1, mask_id=M, vocab_size=V)
    r, e, c = (b or [0] * n for b in (r, e, c))
    assert out.x_next.tolist() == apply_g_reference(x, y, r, e, c, mask_id=M)
    deleted = [bool(ci and xi == M) for xi, ci in zip(x, c, strict=True)]
    used = [xi == M and not ri and not di for xi, ri, di in zip(x, r, deleted, strict=True)]
    want = (n, sum(used), sum(1 for xi, ri in zip(x, r, strict=True) if ri and xi != M),
            sum(1 for ei, di in zip(e, deleted, strict=True) if ei and not di), sum(deleted))
    s = out.counts
    assert (s.length, s.unmasked, s.remasked, s.inserted, s.deleted) == want
    assert out.written.tolist() == [yi for yi, u in zip(y, used, strict=True) if u]


@pytest.mark.parametrize("kind, bad", [(k, b) for k in ("int64", "int8", "uint8", "list") for b in (2, -1, 255)
                                       if not (k == "int8" and b == 255 or k == "uint8" and b == -1)])
@pytest.mark.parametrize("name", ["remask", "insert", "delete"])
def test_a_control_that_is_not_zero_one_is_refused(kind: str, name: str, bad: int) -> None:
    bits = [0, 1, 0, bad] if name == "remask" else [0, 0, 0, bad]
    pred = Prediction(y=np.full(4, 1), **{name: as_dtype(bits, kind)})
    with pytest.raises(DisciplineViolation) as exc:
        advance("ap-mdm", np.array([M, 1, M, 2]), pred, step=2, mask_id=M, vocab_size=V)
    assert exc.value.rule == f"{name} must hold only 0/1"


@pytest.mark.parametrize("n", [5, 64, 65, 300])
@pytest.mark.parametrize("bad", [M, -1, V, 2**40])
def test_a_bad_written_token_is_named_among_few_or_many(n: int, bad: int) -> None:
    x = np.full(n, M, dtype=np.int64)  # every position is a mask: with no control, all n are written
    x[1] = 3
    y = np.full(n, 2, dtype=np.int64)
    advance("ap-mdm", x, Prediction(y=y), step=1, mask_id=M, vocab_size=V)  # the clean step is accepted
    where = n - 1
    y[where] = bad
    with pytest.raises(DisciplineViolation) as exc:
        advance("ap-mdm", x, Prediction(y=y), step=1, mask_id=M, vocab_size=V)
    assert exc.value.position == where
    assert ("MASK" if bad == M else "not in the vocabulary") in exc.value.rule
    # the same bad token at a remasked position is not written: accepted
    r = np.zeros(n, dtype=np.bool_)
    r[where] = True
    assert advance("ap-mdm", x, Prediction(y=y, remask=r), step=1, mask_id=M, vocab_size=V).counts.unmasked == n - 2


@pytest.mark.parametrize("name", ["remask", "insert", "delete", "unmask"])
def test_a_control_of_the_wrong_shape_or_dtype_is_refused(name: str) -> None:
    x = np.array([M, 1, M, 2])
    for bad, rule in ((np.zeros(3, dtype=np.int64), f"{name} has shape (3,), expected (4,)"),
                      (np.zeros((4, 1), dtype=np.bool_), f"{name} has shape (4, 1), expected (4,)"),
                      (np.array([0.0, 1.0, 0.0, 0.0]), f"{name} must hold only 0/1")):
        with pytest.raises(DisciplineViolation) as exc:
            advance("ap-mdm", x, Prediction(y=np.full(4, 1), **{name: bad}), step=1, mask_id=M, vocab_size=V)
        assert exc.value.rule == rule
