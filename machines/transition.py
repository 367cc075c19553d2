"""The non-parametric transition ``g`` of AP-MDM (the paper's Algorithm 1), vectorised and as a plain reference.

Semantics, per position ``i`` of the input ``x`` (PAPER.md §1.6, Algorithm 1):

1. **delete** -- if ``delete[i]`` and ``x[i]`` is MASK, position ``i`` produces nothing; its insert bit is dropped.
   Delete on a non-mask token is ignored.
2. otherwise the position produces one token: MASK if ``remask[i]`` (remask beats unmask), else ``y[i]`` if
   ``x[i]`` is MASK (unmask), else ``x[i]`` (keep);
3. then, if ``insert[i]`` (and the position was not deleted), one MASK is appended right after it.

The output is the concatenation, so ``|g(x)| = |x| + #insert(kept) - #delete(on masks)``.  ``y[i]`` may never
be MASK where it is used (an unmasked position); elsewhere ``y`` is ignored.

Both functions take and return ``numpy.int64`` arrays; control vectors may be ``None`` (all zeros).  Tokens must be
integers: a bool or float ``x`` (or ``y``) raises :class:`~machines.errors.TransitionError` instead of being
truncated (Python lists of ints are fine).
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
    if n == 0:
        return None
    if arr.dtype == np.bool_:
        return arr if arr.any() else None
    if arr.dtype.kind not in "iu" or bool((arr & ~1).any()):
        raise TransitionError(f"{name} must hold only 0/1")
    return arr.astype(np.bool_) if arr.any() else None


IntsLike = np.ndarray | Sequence[int]


def _as_tokens(name: str, a: IntsLike) -> np.ndarray:
    """``a`` as int64 tokens; anything but an integer array (bool, float, object) raises TransitionError.

    Tokens are never truncated or cast from another kind: ``[1.7]`` or ``[True]`` is an error, not ``[1]``.
    An empty sequence (which numpy types as float) is accepted.
    """
    arr = np.asarray(a)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TransitionError(f"{name} must hold integer tokens, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_int_token(name: str, v: object, i: int) -> int:
    if isinstance(v, bool | np.bool_) or not isinstance(v, int | np.integer):
        raise TransitionError(f"{name}[{i}] must be an integer token, got {v!r}", position=i)
    return int(v)


def apply_g(
    x: IntsLike,
    y: IntsLike | None,
    remask: IntsLike | None = None,
    insert: IntsLike | None = None,
    delete: IntsLike | None = None,
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
        The 3-bit control per position (``None`` = all zeros).  Boolean arrays avoid a conversion pass.
    mask_id : int
        Id of MASK.

    Returns
    -------
    (L',) int64 array, the next sequence: always new memory (when masks are deleted, a view of a buffer sized
    ``L + #insert``).

    Examples
    --------
    >>> M = 0
    >>> apply_g([5, M, M, 7], [9, 3, 4, 9], remask=[0, 0, 1, 0], insert=[1, 0, 1, 0], delete=[1, 0, 1, 1],
    ...         mask_id=M).tolist()
    [5, 0, 3, 7]

    Notes
    -----
    O(L) time in a constant number of vectorised passes, over cache-sized blocks written straight into the output.
    Blocks of 4,096 positions or more work in the narrowest integer type holding their tokens (int8 for a small
    vocabulary) and are widened once, when written.  Tokens by arithmetic blending (``x + (y - M) * unmask``, exact
    because ``x == M`` wherever a mask is unmasked); deletion alone by one boolean compress; insertion (with or
    without deletion) by one gather: each position is the pair (token, MASK) packed in one unsigned word, and one
    ``flatnonzero`` of the interleaved keep bits indexes the pairs' halves.
    :func:`apply_g_reference` is the plain transcription it is tested against.  Serves every AP-MDM run and,
    through :mod:`machines.embeddings`, every ARM / MDM / AO-MDM / Masked-ARM run.
    """
    xa = _as_tokens("x", x)
    if xa.ndim != 1:
        raise TransitionError(f"x must be one-dimensional, got shape {xa.shape}")
    n = xa.shape[0]
    r = _as_bool("remask", remask, n)
    ins = _as_bool("insert", insert, n)
    d = _as_bool("delete", delete, n)
    ya = None
    if y is not None:
        ya = _as_tokens("y", y)
        if ya.shape != (n,):
            raise TransitionError(f"y has shape {ya.shape}, expected ({n},)")
    # the output is at most n + #insert long; blocks write straight into it (cache blocking: the temporaries of a
    # block stay in cache and no piece is copied twice)
    cap = n + (int(np.count_nonzero(ins)) if ins is not None else 0)
    out = np.empty(cap, dtype=np.int64)
    o = 0
    for a in range(0, n, _BLOCK):
        b = a + _BLOCK
        o = _g_block(xa[a:b], None if ya is None else ya[a:b], None if r is None else r[a:b],
                     None if ins is None else ins[a:b], None if d is None else d[a:b], mask_id, a, out, o)
    return out if o == cap else out[:o]


_BLOCK = 1 << 16
_NARROW_FROM = 4096  # shorter blocks work in int64: the range check and the casts cost more than they save
_NARROW = tuple((int(np.iinfo(t).min), int(np.iinfo(t).max), t) for t in (np.int8, np.int16, np.int32))
# the interleaved (token, MASK) pair of a working dtype, as one unsigned word, and the dtype's unsigned twin
_PAIR: dict[type, tuple[type, type]] = {np.int8: (np.uint16, np.uint8), np.int16: (np.uint32, np.uint16),
                                        np.int32: (np.uint64, np.uint32)}


def _work_dtype(xa: np.ndarray, ya: np.ndarray | None, mask_id: int) -> type:
    """The narrowest of int8 / int16 / int32 / int64 holding every token of ``xa``, ``ya`` and MASK."""
    if xa.shape[0] < _NARROW_FROM:
        return np.int64
    lo, hi = min(int(xa.min()), mask_id), max(int(xa.max()), mask_id)
    if ya is not None:
        lo, hi = min(lo, int(ya.min())), max(hi, int(ya.max()))
    for a, b, t in _NARROW:
        if a <= lo and hi <= b:
            return t
    return np.int64


def _g_block(xa: np.ndarray, ya: np.ndarray | None, r: np.ndarray | None, ins: np.ndarray | None,
             d: np.ndarray | None, mask_id: int, offset: int, out: np.ndarray, o: int) -> int:
    """g on one block (input positions ``offset ..``), written to ``out[o:]``; returns the new end of ``out``.

    The tokens are computed in the narrowest integer type that holds them (int8 for a small vocabulary) and
    widened to int64 only when written to ``out``.  The arithmetic below may wrap around in the narrow type; it is
    exact all the same, because it is exact modulo 2^bits and every result is a token that fits.
    """
    nb = xa.shape[0]
    w = _work_dtype(xa, ya, mask_id)
    xw = xa if w is np.int64 else xa.astype(w)
    m = w(mask_id)
    is_mask = xw == m
    deleted = None
    if d is not None:
        deleted = d & is_mask
        if not deleted.any():
            deleted = None
    if ins is not None and deleted is not None:
        ins = ins & ~deleted
    if ins is not None and not ins.any():
        ins = None
    # unmasked positions: masks that are neither remasked nor deleted
    unmask = is_mask if r is None else is_mask & ~r
    if deleted is not None:
        unmask &= ~deleted
    if unmask.any():
        if ya is None:
            raise TransitionError("y is required: some masks are unmasked")
        yw = ya if w is np.int64 else ya.astype(w)
        bad = (yw == m) & unmask
        if bad.any():
            pos = offset + int(np.argmax(bad))
            raise TransitionError(f"y is MASK at unmasked position {pos}", position=pos)
        tok = yw - m  # exact blend: x == MASK wherever unmask holds
        tok *= unmask
        tok += xw
    else:
        tok = xw.copy() if xw is xa else xw
    if r is not None:  # remask: MASK wherever r is set (on masks tok is already MASK)
        if mask_id == 0:
            tok *= ~r
        else:
            tmp = tok - m
            tmp *= r
            tok -= tmp
    if deleted is None and ins is None:
        out[o:o + nb] = tok
        return o + nb
    if ins is None:
        assert deleted is not None  # both None returned above
        kept = tok[~deleted]
        out[o:o + kept.shape[0]] = kept
        return o + kept.shape[0]
    if w is np.int64 or not np.little_endian:  # the pair trick below assumes little-endian words
        return _expand_int64(tok, ins, deleted, mask_id, out, o)
    # one gather for delete and insert together: position i holds the pair (tok_i, MASK) as one unsigned word;
    # keep its first half unless deleted and its second half if it inserts
    word, half = _PAIR[w]
    bits = 8 * np.dtype(half).itemsize
    pair = tok.view(half).astype(word)
    pair |= word((mask_id & ((1 << bits) - 1)) << bits)  # little-endian: MASK is the second half
    keep = ins.view(np.uint8).astype(np.uint16)
    keep <<= 8
    keep |= 1 if deleted is None else (~deleted).view(np.uint8)
    src = np.flatnonzero(keep.view(np.bool_))
    total = src.shape[0]
    out[o:o + total] = np.take(pair.view(w), src)
    return o + total


def _expand_int64(tok: np.ndarray, ins: np.ndarray, deleted: np.ndarray | None, mask_id: int, out: np.ndarray,
                  o: int) -> int:
    """Delete, then insert a MASK after every inserting position, by a boolean-mask assignment into ``out``."""
    if deleted is not None:
        tok = tok[~deleted]
        ins = ins[~deleted]
    new_masks = np.flatnonzero(ins)
    k = new_masks.shape[0]
    new_masks += np.arange(1, k + 1)
    total = tok.shape[0] + k
    seg = out[o:o + total]
    slot = np.ones(total, dtype=np.bool_)
    slot[new_masks] = False
    seg[new_masks] = mask_id
    seg[slot] = tok
    return o + total


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
    if isinstance(x, np.ndarray):
        _as_tokens("x", x)
    # plain Python ints (not bool: type() is exact) need no per-token conversion; anything else is checked token
    # by token, so a bool or float still raises
    xs = list(x) if all(type(v) is int for v in x) else [_check_int_token("x", v, i) for i, v in enumerate(x)]
    if isinstance(y, np.ndarray):
        _as_tokens("y", y)
    r = list(remask) if remask is not None else [0] * n
    e = list(insert) if insert is not None else [0] * n
    c = list(delete) if delete is not None else [0] * n
    z: list[int] = []
    for i in range(n):
        xi = xs[i]
        if c[i] and xi == mask_id:
            continue
        if r[i]:
            z.append(mask_id)
        elif xi == mask_id:
            if y is None:
                raise TransitionError(f"y is MASK at unmasked position {i}", position=i)
            yi = _check_int_token("y", y[i], i)
            if yi == mask_id:
                raise TransitionError(f"y is MASK at unmasked position {i}", position=i)
            z.append(yi)
        else:
            z.append(xi)
        if e[i]:
            z.append(mask_id)
    return z


def g_length(x: IntsLike, insert: IntsLike | None, delete: IntsLike | None, *, mask_id: int) -> int:
    """Length of ``g``'s output without building it: ``|x| + #insert(kept) - #delete(on masks)``."""
    xa = np.asarray(x, dtype=np.int64)
    n = xa.shape[0]
    deleted = np.zeros(n, bool) if delete is None else (np.asarray(delete, bool) & (xa == mask_id))
    ins = np.zeros(n, bool) if insert is None else np.asarray(insert, bool)
    return int(n - deleted.sum() + (ins & ~deleted).sum())
