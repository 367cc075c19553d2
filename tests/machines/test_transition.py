"""The transition g of Algorithm 1: the vectorised apply_g against the plain reference, and its semantic laws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import machines.transition as transition
from machines.errors import TransitionError
from machines.transition import apply_g, apply_g_reference, g_length

M = 0  # MASK id in most tests; a non-zero MASK is tested too


@st.composite
def g_inputs(draw: st.DrawFn, max_len: int = 24) -> tuple[list[int], list[int], list[int], list[int], list[int], int]:
    """x over a small alphabet with many masks; y never MASK; random 0/1 controls."""
    mask_id = draw(st.sampled_from([0, 3]))
    n = draw(st.integers(0, max_len))
    x = draw(st.lists(st.sampled_from([mask_id, mask_id, 1, 2, 4]), min_size=n, max_size=n))
    y = draw(st.lists(st.sampled_from([1, 2, 4, 5]), min_size=n, max_size=n))
    bits = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    return x, y, draw(bits), draw(bits), draw(bits), mask_id


def plain_length(x: list[int], ins: list[int], dele: list[int], mask_id: int) -> int:
    deleted = [d == 1 and xi == mask_id for xi, d in zip(x, dele, strict=True)]
    return len(x) + sum(1 for e, dd in zip(ins, deleted, strict=True) if e and not dd) - sum(deleted)


@given(g_inputs())
def test_vectorised_equals_reference(case: tuple) -> None:
    x, y, r, e, c, mask_id = case
    want = apply_g_reference(x, y, r, e, c, mask_id=mask_id)
    for conv in (np.asarray, lambda a: np.asarray(a, dtype=bool)):
        got = apply_g(np.array(x), np.array(y), conv(r), conv(e), conv(c), mask_id=mask_id)
        assert got.dtype == np.int64 and got.tolist() == want


@given(g_inputs(max_len=40), st.integers(1, 5))
def test_blocked_path_equals_reference(case: tuple, block: int) -> None:
    x, y, r, e, c, mask_id = case
    old = transition._BLOCK
    transition._BLOCK = block
    try:
        got = apply_g(np.array(x), np.array(y), np.array(r), np.array(e), np.array(c), mask_id=mask_id)
    finally:
        transition._BLOCK = old
    assert got.tolist() == apply_g_reference(x, y, r, e, c, mask_id=mask_id)


@given(g_inputs())
def test_length_identity(case: tuple) -> None:
    """|g(x)| = |x| + #insert(kept) - #delete(on masks), and g_length predicts it without building."""
    x, y, r, e, c, mask_id = case
    out = apply_g(np.array(x), np.array(y), np.array(r), np.array(e), np.array(c), mask_id=mask_id)
    assert len(out) == plain_length(x, e, c, mask_id) == g_length(np.array(x), np.array(e), np.array(c),
                                                                   mask_id=mask_id)


@given(g_inputs())
def test_remask_beats_unmask(case: tuple) -> None:
    """A remasked mask stays MASK whatever y says; a remasked token becomes MASK."""
    x, y, _, _, _, mask_id = case
    out = apply_g(np.array(x), np.array(y), remask=np.ones(len(x), int), mask_id=mask_id)
    assert out.tolist() == [mask_id] * len(x)


@given(g_inputs())
def test_delete_ignores_non_masks(case: tuple) -> None:
    x, y, r, e, _, mask_id = case
    ones = [1] * len(x)
    a = apply_g(np.array(x), np.array(y), np.array(r), np.array(e), np.array(ones), mask_id=mask_id).tolist()
    keep = [v != mask_id for v in x]
    b = apply_g_reference([v for v, k in zip(x, keep, strict=True) if k], None,
                          [ri for ri, k in zip(r, keep, strict=True) if k],
                          [ei for ei, k in zip(e, keep, strict=True) if k], None, mask_id=mask_id)
    assert a == b  # deleting every position removes exactly the masks (and their inserts), nothing else


def test_deleted_mask_drops_its_insert() -> None:
    assert apply_g([M], [5], insert=[1], delete=[1], mask_id=M).tolist() == []
    assert apply_g([7], [5], insert=[1], delete=[1], mask_id=M).tolist() == [7, M]
    assert apply_g([M], [5], remask=[1], insert=[1], delete=[1], mask_id=M).tolist() == []


def test_semantics_table_rows() -> None:
    """Each row of the Algorithm 1 semantics table (PAPER.md §1.6), written out by hand."""
    v = 9
    rows = [  # (x_i, remask, insert, delete) -> output
        ((M, 0, 0, 0), [v]), ((M, 1, 0, 0), [M]), ((M, 0, 1, 1), []), ((M, 1, 1, 1), []),
        ((4, 0, 0, 1), [4]), ((4, 1, 0, 1), [M]), ((4, 0, 1, 0), [4, M]), ((M, 0, 1, 0), [v, M]),
        ((M, 1, 1, 0), [M, M]), ((4, 1, 1, 1), [M, M]),
    ]
    for (xi, r, e, c), want in rows:
        assert apply_g([xi], [v], [r], [e], [c], mask_id=M).tolist() == want, (xi, r, e, c)
        assert apply_g_reference([xi], [v], [r], [e], [c], mask_id=M) == want


def test_positions_are_independent_and_concatenated() -> None:
    x = [1, M, M, 2, M]
    out = apply_g(x, [0, 5, 6, 0, 7], remask=[1, 0, 0, 0, 0], insert=[0, 1, 0, 1, 0], delete=[0, 0, 1, 1, 0],
                  mask_id=M)
    assert out.tolist() == [M, 5, M, 2, M, 7]


@pytest.mark.parametrize("kwargs, match", [
    (dict(x=[M, 1], y=[M, 2]), "MASK at unmasked position 0"),
    (dict(x=[1, M], y=None), "y is required"),
    (dict(x=[1, M], y=[1]), "y has shape"),
    (dict(x=[1, 2], y=[1, 2], remask=[0, 2]), "only 0/1"),
    (dict(x=[1, 2], y=[1, 2], delete=[0, -1]), "only 0/1"),
    (dict(x=[1, 2], y=[1, 2], insert=np.array([0, 255], dtype=np.uint8)), "only 0/1"),
    (dict(x=[1, 2], y=[1, 2], insert=np.array([1, 0, -1, 0], dtype=np.int8)[::2]), "only 0/1"),
    (dict(x=[1, 2], y=[1, 2], insert=[0]), "insert has shape"),
    (dict(x=[[1, 2]], y=None), "one-dimensional"),
])
def test_bad_arguments_raise_transition_error(kwargs: dict, match: str) -> None:
    x = kwargs.pop("x")
    y = kwargs.pop("y")
    with pytest.raises(TransitionError, match=match):
        apply_g(x, y, mask_id=M, **kwargs)


def test_y_mask_error_names_the_global_position_in_blocked_path() -> None:
    old = transition._BLOCK
    transition._BLOCK = 4
    try:
        with pytest.raises(TransitionError) as exc:
            apply_g([1] * 9 + [M], [1] * 9 + [M], mask_id=M)
    finally:
        transition._BLOCK = old
    assert exc.value.position == 9


def test_y_is_ignored_where_unused_and_input_untouched() -> None:
    x = np.array([1, M, 2])
    y = np.array([M, 3, M])  # MASK where y is not used is fine
    out = apply_g(x, y, mask_id=M)
    assert out.tolist() == [1, 3, 2] and x.tolist() == [1, M, 2] and out is not x
    assert apply_g(np.array([], dtype=np.int64), None, mask_id=M).tolist() == []


@pytest.mark.parametrize("x, y", [
    (np.array([1.7, 2.0]), [1, 2]),            # float x used to be truncated to [1, 2]
    (np.array([True, False]), [1, 2]),         # bool x
    ([1.5, M], [1, 2]),                        # a Python list with a float
    ([1, M], np.array([1.0, 2.0])),            # float y
    ([1, M], [1, 2.9]),                        # float y where it is used
])
def test_non_integer_tokens_raise_transition_error(x: object, y: object) -> None:
    with pytest.raises(TransitionError, match="integer"):
        apply_g(x, y, mask_id=M)  # type: ignore[arg-type]
    with pytest.raises(TransitionError, match="integer"):
        apply_g_reference(x, y, mask_id=M)  # type: ignore[arg-type]


def test_integer_lists_and_unsigned_arrays_are_accepted() -> None:
    assert apply_g([1, M], [1, 2], mask_id=M).tolist() == [1, 2]
    assert apply_g(np.array([1, M], dtype=np.uint8), np.array([1, 2], dtype=np.uint8), mask_id=M).tolist() == [1, 2]
    assert apply_g_reference(np.array([1, M], dtype=np.uint8), [1, 2], mask_id=M) == [1, 2]
    assert apply_g([], None, mask_id=M).tolist() == []


# -- the narrow-dtype paths (blocks of _NARROW_FROM positions or more) ------------------------------------------------

# tokens on both sides of the int8 / int16 / int32 and uint8 / uint16 / uint32 limits, so every working dtype (and
# int64) is chosen somewhere
_EDGES = [1, 2, 126, 127, 128, -128, -129, 255, 256, 32767, 32768, -32769, 65535, 65536, 2**31 - 1, 2**31,
          -(2**31) - 1, 2**32 - 1, 2**32, 2**40]


@st.composite
def wide_g_inputs(draw: st.DrawFn) -> tuple[list[int], list[int], list[int] | None, list[int] | None,
                                            list[int] | None, int]:
    """Tokens from one dtype range (or across ranges), MASK 0, 3, 200 or -1 (a negative MASK forces the signed
    dtypes), and any subset of the three controls."""
    mask_id = draw(st.sampled_from([0, 3, 200, -1]))
    tokens = draw(st.lists(st.sampled_from(_EDGES), min_size=1, max_size=3)) + [mask_id]
    n = draw(st.integers(0, 40))
    x = draw(st.lists(st.sampled_from(tokens + [mask_id, mask_id]), min_size=n, max_size=n))
    y = draw(st.lists(st.sampled_from([t for t in tokens if t != mask_id] or [1]), min_size=n, max_size=n))
    bits = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    r, e, c = (draw(st.none() | bits) for _ in range(3))
    return x, y, r, e, c, mask_id


@given(wide_g_inputs(), st.integers(1, 7), st.booleans())
def test_narrow_paths_equal_reference(case: tuple, block: int, as_bool: bool) -> None:
    """Every op mix (each of remask / insert / delete present or absent, unmask always possible) on the narrow
    int8 / int16 / int32 paths, forced on tiny blocks, against the plain reference."""
    x, y, r, e, c, mask_id = case
    old = transition._BLOCK, transition._NARROW_FROM
    transition._BLOCK, transition._NARROW_FROM = block, 1
    conv = (lambda a: None if a is None else np.asarray(a, dtype=bool)) if as_bool else \
        (lambda a: None if a is None else np.asarray(a, dtype=np.int64))
    try:
        got = apply_g(np.array(x, dtype=np.int64), np.array(y, dtype=np.int64), conv(r), conv(e), conv(c),
                      mask_id=mask_id)
    finally:
        transition._BLOCK, transition._NARROW_FROM = old
    assert got.dtype == np.int64 and got.tolist() == apply_g_reference(x, y, r, e, c, mask_id=mask_id)


@pytest.mark.parametrize("ops", ["r", "e", "c", "re", "rc", "ec", "rec", ""])
def test_each_op_mix_on_a_long_sequence(ops: str) -> None:
    """10,000 tokens (narrow path at the default block size) for each mix of operations, against the reference."""
    rng = np.random.default_rng(len(ops))
    n = 10_000
    x = rng.integers(1, 9, n)
    x[rng.random(n) < 0.5] = M
    y = rng.integers(1, 9, n)
    r, e, c = ((rng.random(n) < 0.2) if op in ops else None for op in "rec")
    want = apply_g_reference(x.tolist(), y.tolist(), None if r is None else r.tolist(),
                             None if e is None else e.tolist(), None if c is None else c.tolist(), mask_id=M)
    assert apply_g(x, y, r, e, c, mask_id=M).tolist() == want


@pytest.mark.parametrize("mask_id", [0, 200, 256, 70000, -1])
@pytest.mark.parametrize("token", _EDGES)
def test_working_dtype_limits_against_reference(token: int, mask_id: int) -> None:
    """One token value next to MASK on the narrow path, in x or only in y (or no MASK in x at all): the working dtype
    chosen at each limit holds the token and MASK, including a MASK that only inserts and remasks write."""
    if token in (mask_id, 2):
        return
    old = transition._NARROW_FROM
    transition._NARROW_FROM = 1
    try:
        for x in ([token, mask_id, token, mask_id, mask_id, token], [token] * 6, [2, mask_id, 2, mask_id, mask_id, 2]):
            y = [token] * 6
            r, e, c = [0, 0, 1, 0, 0, 0], [1, 0, 0, 1, 0, 1], [0, 0, 0, 1, 0, 0]
            for ctrl in ((None, None, None), (r, None, None), (None, e, None), (None, None, c), (r, e, c)):
                got = apply_g(np.array(x), np.array(y), *(None if v is None else np.array(v, dtype=bool)
                                                          for v in ctrl), mask_id=mask_id)
                assert got.tolist() == apply_g_reference(x, y, *ctrl, mask_id=mask_id), (x, ctrl)
    finally:
        transition._NARROW_FROM = old


# -- y may be MASK where it is not used; errors; extreme control planes (issue 17, third attempt) -----------------


def _outcome(f: object) -> tuple[str, object]:
    """``("ok", list)`` or ``("error", (message, position))`` of a call, for comparing the two implementations."""
    try:
        out = f()  # type: ignore[operator]
    except TransitionError as exc:
        return "error", (str(exc), exc.position)
    return "ok", list(out)


@st.composite
def y_mask_inputs(draw: st.DrawFn) -> tuple[list[int], list[int] | None, list[int] | None, list[int] | None,
                                            list[int] | None, int]:
    """x full of masks, y that may hold MASK (at masks that are remasked, deleted or unmasked, and elsewhere) or be
    None (one time in five)."""
    mask_id = draw(st.sampled_from([0, 3, 200, -1, 70000]))
    tokens = [mask_id, 1, 2, 255, 256]
    n = draw(st.integers(0, 30))
    x = draw(st.lists(st.sampled_from(tokens + [mask_id, mask_id]), min_size=n, max_size=n))
    y: list[int] | None = draw(st.lists(st.sampled_from([mask_id, 1, 4, 255]), min_size=n, max_size=n))
    if draw(st.integers(0, 4)) == 0:
        y = None
    bits = st.lists(st.sampled_from([0, 0, 1]), min_size=n, max_size=n)
    r, e, c = (draw(st.none() | bits) for _ in range(3))
    return x, y, r, e, c, mask_id


@given(y_mask_inputs(), st.sampled_from([1, 3, 7, 1 << 17]), st.booleans())
def test_y_mask_and_missing_y_match_reference(case: tuple, block: int, narrow: bool) -> None:
    """MASK in y is ignored at remasked, deleted and non-mask positions and raises, naming the first position, at an
    unmasked one; y None is fine when nothing is unmasked.  Both paths (narrow and int64), several block sizes."""
    x, y, r, e, c, mask_id = case

    def conv(a: list[int] | None) -> np.ndarray | None:
        return None if a is None else np.asarray(a, dtype=bool)

    old = transition._BLOCK, transition._NARROW_FROM
    transition._BLOCK, transition._NARROW_FROM = block, (1 if narrow else old[1])
    try:
        got = _outcome(lambda: apply_g(np.array(x, dtype=np.int64), None if y is None else np.array(y, dtype=np.int64),
                                       conv(r), conv(e), conv(c), mask_id=mask_id))
    finally:
        transition._BLOCK, transition._NARROW_FROM = old
    want = _outcome(lambda: apply_g_reference(x, y, r, e, c, mask_id=mask_id))
    if y is None and want[0] == "error":  # the reference has no y to blame; g says y is required
        assert got == ("error", ("y is required: some masks are unmasked", None))
    else:
        assert got == want


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64])
@pytest.mark.parametrize("ops", ["", "r", "e", "c", "rec"])
def test_input_dtypes_on_the_narrow_path(dtype: type, ops: str) -> None:
    """x and y handed in as narrow integer arrays (10,000 tokens, one block over _NARROW_FROM): same result as the
    reference on the plain lists, as int64."""
    rng = np.random.default_rng(7)
    n = 10_000
    hi = min(int(np.iinfo(dtype).max), 70_000)
    x = rng.integers(1, hi, n).astype(dtype)
    x[rng.random(n) < 0.5] = 0
    y = rng.integers(1, hi, n).astype(dtype)
    r, e, c = ((rng.random(n) < 0.3) if op in ops else None for op in "rec")
    want = apply_g_reference(x.tolist(), y.tolist(), *(None if v is None else v.tolist() for v in (r, e, c)),
                             mask_id=0)
    got = apply_g(x, y, r, e, c, mask_id=0)
    assert got.dtype == np.int64 and got.tolist() == want


@pytest.mark.parametrize("mask_id", [0, 7, -3])
@pytest.mark.parametrize("planes", ["e", "c", "ec", "rec", "re"])
def test_all_ones_control_planes_on_long_sequences(planes: str, mask_id: int) -> None:
    """Every position inserts / deletes / remasks (all-insert doubles the length, all-delete removes every mask),
    across block boundaries (3 blocks of 4,096 and a partial one) on the narrow path."""
    rng = np.random.default_rng(len(planes))
    n = 3 * 4096 + 17
    x = rng.integers(1, 50, n)
    x[rng.random(n) < 0.5] = mask_id
    y = rng.integers(51, 90, n)
    ones = np.ones(n, dtype=bool)
    r, e, c = (ones if op in planes else None for op in "rec")
    old = transition._BLOCK
    transition._BLOCK = 4096
    try:
        got = apply_g(x, y, r, e, c, mask_id=mask_id)
    finally:
        transition._BLOCK = old
    want = apply_g_reference(x.tolist(), y.tolist(), *(None if v is None else v.tolist() for v in (r, e, c)),
                             mask_id=mask_id)
    assert got.tolist() == want
    n_mask = int(np.count_nonzero(x == mask_id))
    assert len(got) == n + (n - n_mask if "c" in planes else n) * ("e" in planes) - n_mask * ("c" in planes)


@pytest.mark.parametrize("narrow_from", [1, 4096])
def test_y_mask_at_remasked_or_deleted_masks_is_ignored(narrow_from: int) -> None:
    """y is MASK at a remasked mask (position 1) and at a deleted one (position 3): no error; then also at an
    unmasked mask (position 5): the error names 5.  On both the narrow and the int64 path."""
    x = [4, M, 4, M, 4, M, 4]
    y = [M, M, M, M, M, M, M]
    r = [0, 1, 0, 0, 0, 0, 0]
    c = [0, 0, 0, 1, 0, 0, 0]
    old = transition._NARROW_FROM
    transition._NARROW_FROM = narrow_from
    try:
        ok = apply_g(np.array(x[:5]), np.array(y[:5]), r[:5], [1, 0, 0, 1, 0], c[:5], mask_id=M)
        with pytest.raises(TransitionError, match="unmasked position 5") as exc:
            apply_g(np.array(x), np.array(y), r, None, c, mask_id=M)
    finally:
        transition._NARROW_FROM = old
    assert ok.tolist() == apply_g_reference(x[:5], y[:5], r[:5], [1, 0, 0, 1, 0], c[:5], mask_id=M) == [4, M, M, 4, 4]
    assert exc.value.position == 5
