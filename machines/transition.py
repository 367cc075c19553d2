"""The non-parametric transition ``g`` of AP-MDM (the paper's Algorithm 1), vectorised and as a plain reference.

Semantics, per position ``i`` of the input ``x`` (PAPER.md §1.6, Algorithm 1):

1. **delete** -- if ``delete[i]`` and ``x[i]`` is MASK, position ``i`` produces nothing; its insert bit is dropped.
   Delete on a non-mask token is ignored.
2. otherwise the position produces one token: MASK if ``remask[i]`` (remask beats unmask), else ``y[i]`` if
   ``x[i]`` is MASK (unmask), else ``x[i]`` (keep);
3. then, if ``insert[i]`` (and the position was not deleted), one MASK is appended right after it.

The output is the concatenation, so ``|g(x)| = |x| + #insert(kept) - #delete(on masks)``.  ``y[i]`` may never
be MASK where it is used (an unmasked position); elsewhere ``y`` is ignored.

Both functions take and return ``numpy.int64`` arrays; control vectors may be ``None`` (all zeros).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from machines.errors import TransitionError

__all__ = ["apply_g", "apply_g_reference", "g_length"]


def _as_bool(name: str, a: np.ndarray | Sequence[int] | None, n: int) -> np.ndarray | None:
    if a is None:
        return None
    arr = np.asarray(a)
    if arr.shape != (n,):
        raise TransitionError(f"{name} has shape {arr.shape}, expected ({n},)")
    if arr.dtype != np.bool_:
        if not np.isin(arr, (0, 1)).all():
            raise TransitionError(f"{name} must hold only 0/1")
        arr = arr.astype(np.bool_)
    return arr


def apply_g(
    x: np.ndarray,
    y: np.ndarray | None,
    remask: np.ndarray | None = None,
    insert: np.ndarray | None = None,
    delete: np.ndarray | None = None,
    *,
    mask_id: int,
) -> np.ndarray:
    """Apply Algorithm 1's ``g`` to one sequence, vectorised with numpy.

    Parameters
    ----------
    x : (L,) int array
        Current sequence.
    y : (L,) int array or None
        Token predictions; read only at masks that are unmasked (``x[i] == MASK``, not remasked, not deleted).
        ``None`` is allowed only when no position is unmasked.
    remask, insert, delete : (L,) bool/0-1 arrays or None
        The 3-bit control per position (``None`` = all zeros).
    mask_id : int
        Id of MASK.

    Returns
    -------
    (L',) int64 array, the next sequence.

    Examples
    --------
    >>> M = 0
    >>> apply_g([5, M, M, 7], [9, 3, 4, 9], remask=[0, 0, 1, 0], insert=[1, 0, 1, 0], delete=[1, 0, 1, 1],
    ...         mask_id=M).tolist()
    [5, 0, 3, 7]

    Notes
    -----
    O(L) time: a constant number of vectorised passes.  Serves every AP-MDM run and, through the embeddings in
    :mod:`machines`, every ARM / MDM / AO-MDM / Masked-ARM run.
    """
    xa = np.asarray(x, dtype=np.int64)
    if xa.ndim != 1:
        raise TransitionError(f"x must be one-dimensional, got shape {xa.shape}")
    n = xa.shape[0]
    r = _as_bool("remask", remask, n)
    ins = _as_bool("insert", insert, n)
    d = _as_bool("delete", delete, n)
    is_mask = xa == mask_id
    # unmasked positions: masks that are neither remasked nor deleted
    unmask = is_mask
    if r is not None:
        unmask = unmask & ~r
    deleted = None
    if d is not None:
        deleted = d & is_mask
        unmask = unmask & ~deleted
    if unmask.any():
        if y is None:
            raise TransitionError("y is required: some masks are unmasked")
        ya = np.asarray(y, dtype=np.int64)
        if ya.shape != (n,):
            raise TransitionError(f"y has shape {ya.shape}, expected ({n},)")
        tok = np.where(unmask, ya, xa)
        bad = unmask & (ya == mask_id)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise TransitionError(f"y is MASK at unmasked position {pos}", position=pos)
    else:
        tok = xa.copy()
    if r is not None:
        tok[r] = mask_id
    has_del = deleted is not None and bool(deleted.any())
    has_ins = ins is not None and bool(ins.any())
    if not has_del and not has_ins:
        return tok
    if has_del:
        assert deleted is not None
        kept = ~deleted
        width = kept.astype(np.int64)
        if has_ins:
            assert ins is not None
            width += ins & kept
    else:
        assert ins is not None
        kept = None
        width = ins.astype(np.int64) + 1
    ends = np.cumsum(width)
    total = int(ends[-1]) if n else 0
    out = np.full(total, mask_id, dtype=np.int64)
    starts = ends - width
    if kept is None:
        out[starts] = tok
    else:
        out[starts[kept]] = tok[kept]
    return out


def apply_g_reference(
    x: Sequence[int],
    y: Sequence[int] | None,
    remask: Sequence[int] | None = None,
    insert: Sequence[int] | None = None,
    delete: Sequence[int] | None = None,
    *,
    mask_id: int,
) -> list[int]:
    """Plain-list reference of :func:`apply_g`, a line-by-line transcription of Algorithm 1.

    Examples
    --------
    >>> apply_g_reference([1, 0], [7, 7], insert=[0, 1], mask_id=0)
    [1, 7, 0]
    """
    n = len(x)
    r = list(remask) if remask is not None else [0] * n
    e = list(insert) if insert is not None else [0] * n
    c = list(delete) if delete is not None else [0] * n
    z: list[int] = []
    for i in range(n):
        xi = int(x[i])
        if c[i] and xi == mask_id:
            continue
        if r[i]:
            z.append(mask_id)
        elif xi == mask_id:
            if y is None or int(y[i]) == mask_id:
                raise TransitionError(f"y is MASK at unmasked position {i}", position=i)
            z.append(int(y[i]))
        else:
            z.append(xi)
        if e[i]:
            z.append(mask_id)
    return z


def g_length(x: np.ndarray, insert: np.ndarray | None, delete: np.ndarray | None, *, mask_id: int) -> int:
    """Length of ``g``'s output without building it: ``|x| + #insert(kept) - #delete(on masks)``."""
    xa = np.asarray(x, dtype=np.int64)
    n = xa.shape[0]
    deleted = np.zeros(n, bool) if delete is None else (np.asarray(delete, bool) & (xa == mask_id))
    ins = np.zeros(n, bool) if insert is None else np.asarray(insert, bool)
    return int(n - deleted.sum() + (ins & ~deleted).sum())
