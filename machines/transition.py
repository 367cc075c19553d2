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
    # one comparison pass: viewed as unsigned, a negative value is huge, so "> 1" catches it too
    if arr.dtype.kind not in "iu" or bool((arr.view(f"u{arr.dtype.itemsize}") > 1).any()):
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
    Blocks of 4,096 positions or more work in the narrowest integer type holding their tokens (uint8 for a small
    vocabulary; chosen by one OR-reduction per array when no token is negative, else by min and max) and are widened
    once, when written.  Tokens by arithmetic blending (``x + (y - M) * is_mask``, exact because ``x == M`` at every
    mask; a remasked or deleted mask takes ``y`` too, then the remask overwrites it and the deletion drops it), the
    check that ``y`` is not MASK where it is used by one count (the exact unmasked set only when that count fails);
    deletion alone by one ``flatnonzero`` and one ``take``; insertion (with or without deletion) by one gather: each
    position is the pair (token, MASK) packed in one unsigned word, and one ``flatnonzero`` of the interleaved keep
    bits indexes the pairs' halves.  The gathers use ``mode="clip"`` (indices in range by construction).  That
    gather is the floor of this design in numpy (about 7.5x a copy of the input for 10^6 tokens; g with all four
    operations about 17x, see docs/bench/machines.md for what was measured and rejected).  Shorter
    blocks work in int64 with as few numpy calls as possible.
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


_BLOCK = 1 << 17
_NARROW_FROM = 4096  # shorter blocks work in int64: the range check and the casts cost more than they save
#: Working dtypes when no token is negative, chosen by one OR-reduction per array: the OR of non-negative integers
#: is >= each of them, and it is negative exactly when some token is.
_UNSIGNED = ((1 << 8, np.uint8), (1 << 16, np.uint16), (1 << 32, np.uint32))
#: Working dtypes when some token is negative (min and max), and the unsigned twin each computes in.
_SIGNED = tuple((int(np.iinfo(t).min), int(np.iinfo(t).max), t) for t in (np.int8, np.int16, np.int32))
_TWIN: dict[type, type] = {np.int8: np.uint8, np.int16: np.uint16, np.int32: np.uint32}
#: The unsigned word holding the pair (token, MASK) of an unsigned working dtype.
_WORD: dict[type, type] = {np.uint8: np.uint16, np.uint16: np.uint32, np.uint32: np.uint64}


def _work_dtype(xa: np.ndarray, ya: np.ndarray | None, mask_id: int) -> type:
    """The narrowest integer dtype holding every token of ``xa``, ``ya`` and MASK (int64 for short blocks).

    Unsigned (uint8 / uint16 / uint32) when no token is negative, else int8 / int16 / int32 / int64.
    """
    if xa.shape[0] < _NARROW_FROM:
        return np.int64
    v = int(np.bitwise_or.reduce(xa)) | mask_id
    if ya is not None:
        v |= int(np.bitwise_or.reduce(ya))
    if v >= 0:
        for lim, t in _UNSIGNED:
            if v < lim:
                return t
        return np.int64
    lo, hi = min(int(xa.min()), mask_id), max(int(xa.max()), mask_id)
    if ya is not None:
        lo, hi = min(lo, int(ya.min())), max(hi, int(ya.max()))
    for a, b, st in _SIGNED:
        if a <= lo and hi <= b:
            return st
    return np.int64


def _g_block(xa: np.ndarray, ya: np.ndarray | None, r: np.ndarray | None, ins: np.ndarray | None,
             d: np.ndarray | None, mask_id: int, offset: int, out: np.ndarray, o: int) -> int:
    """g on one block (input positions ``offset ..``), written to ``out[o:]``; returns the new end of ``out``."""
    w = _work_dtype(xa, ya, mask_id)
    if w is np.int64:
        return _g_block_int64(xa, ya, r, ins, d, mask_id, offset, out, o)
    return _g_block_narrow(w, xa, ya, r, ins, d, mask_id, offset, out, o)


def _g_block_int64(xa: np.ndarray, ya: np.ndarray | None, r: np.ndarray | None, ins: np.ndarray | None,
                   d: np.ndarray | None, mask_id: int, offset: int, out: np.ndarray, o: int) -> int:
    """The int64 block: few numpy calls (short blocks, where the per-call cost dominates)."""
    nb = xa.shape[0]
    is_mask = xa == mask_id
    deleted = None if d is None else d & is_mask
    unmask = is_mask if r is None else is_mask > r  # a mask, not remasked (a > b is a & ~b on booleans)
    if deleted is not None:
        unmask = unmask > deleted
    if unmask.any():
        if ya is None:
            raise TransitionError("y is required: some masks are unmasked")
        bad = (ya == mask_id) & unmask
        if bad.any():
            pos = offset + int(np.argmax(bad))
            raise TransitionError(f"y is MASK at unmasked position {pos}", position=pos)
        tok = np.where(unmask, ya, xa)
    else:
        tok = xa.copy()
    if r is not None:
        tok[r] = mask_id
    if ins is None and deleted is None:
        out[o:o + nb] = tok
        return o + nb
    if ins is None:
        assert deleted is not None  # both None returned above
        kept = tok[~deleted]
    else:
        kept = _pairs_kept(tok, mask_id, ins, deleted)
    out[o:o + kept.shape[0]] = kept
    return o + kept.shape[0]


def _pairs_kept(tok: np.ndarray, mask: object, ins: np.ndarray | None, deleted: np.ndarray | None) -> np.ndarray:
    """The (token, MASK) pairs, as two columns, kept by the interleaved bits (not deleted; inserts): one boolean
    index.  Serves short blocks, where the number of numpy calls matters more than the passes."""
    nb = tok.shape[0]
    pair = np.empty((nb, 2), dtype=tok.dtype)
    pair[:, 0] = tok
    pair[:, 1] = mask
    keep = np.empty((nb, 2), dtype=np.bool_)
    if deleted is None:
        keep[:, 0] = True
    else:
        np.logical_not(deleted, out=keep[:, 0])
    if ins is None:
        keep[:, 1] = False
    elif deleted is None:
        keep[:, 1] = ins
    else:
        np.greater(ins, deleted, out=keep[:, 1])
    return pair.reshape(-1)[keep.reshape(-1)]


def _g_block_narrow(w: type, xa: np.ndarray, ya: np.ndarray | None, r: np.ndarray | None, ins: np.ndarray | None,
                    d: np.ndarray | None, mask_id: int, offset: int, out: np.ndarray, o: int) -> int:
    """The block in the narrow dtype ``w``, computing in its unsigned twin ``u`` (arithmetic modulo 2^bits).

    The arithmetic may wrap around; it is exact all the same, because every result is a token that fits in ``w``
    and is right modulo 2^bits.  The tokens are widened to int64 once, when written to ``out``.

    Every mask takes ``y`` in the blend, even one that is remasked or deleted: the remask overwrites it and the
    deletion drops it, so only the check that ``y`` is not MASK needs the exact unmasked set, and it is computed
    only when some mask sees MASK in ``y`` (one count: ``(y - MASK) * is_mask`` has a zero at such a mask).
    """
    nb = xa.shape[0]
    u = _TWIN.get(w, w)
    bits = 8 * np.dtype(u).itemsize
    m = u(mask_id & ((1 << bits) - 1))
    xu: np.ndarray = xa.astype(u) if u is w else xa.astype(w).view(u)  # a fresh array: mutated below
    is_mask = xu == m
    n_mask = int(np.count_nonzero(is_mask))
    deleted = None
    if d is not None and n_mask:
        deleted = d & is_mask
        if not deleted.any():
            deleted = None
    tok = xu
    if n_mask:
        if ya is None:
            _check_unmasked(is_mask, r, deleted, None, offset)  # raises when some mask is unmasked
        else:
            yu: np.ndarray = ya.astype(u) if u is w else ya.astype(w).view(u)
            if m != 0:
                yu -= m
            tok = np.multiply(yu, is_mask.view(np.uint8), out=yu)  # y - MASK at masks, 0 elsewhere
            if np.count_nonzero(tok) != n_mask:  # some mask sees MASK in y: an error if that mask is unmasked
                _check_unmasked(is_mask, r, deleted, tok, offset)
            tok += xu  # the exact blend x + (y - MASK) * is_mask: x == MASK wherever is_mask holds
    if r is not None:  # remask: tok - (tok - MASK) * r, i.e. MASK wherever r is set
        if m == 0:
            tok *= (~r).view(np.uint8)
        else:
            tmp = tok - m
            tmp *= r.view(np.uint8)
            tok -= tmp
    tw = tok if u is w else tok.view(w)
    if ins is not None and not ins.any():
        ins = None
    if deleted is None and ins is None:
        out[o:o + nb] = tw
        return o + nb
    # the gathers below use mode="clip": their indices come from flatnonzero and are in range by construction,
    # and the clipping gather skips the bounds check that raising would need
    if ins is None:
        assert deleted is not None  # both None returned above
        kept = tw.take(np.flatnonzero(~deleted), mode="clip")
    elif np.little_endian:
        # one gather for delete and insert together: position i is the pair (tok_i, MASK) as one unsigned word
        # (little-endian: the token is the first half); keep its first half unless deleted, its second if it inserts
        # and is not deleted: the keep bits are ((insert << 8) | 1) * not_deleted, both halves cleared by a deletion
        word = _WORD[u]
        pair: np.ndarray = tok.astype(word)
        if m != 0:
            pair |= word(int(m) << bits)
        keep = np.left_shift(ins.view(np.uint8), 8, dtype=np.uint16)
        keep |= 1
        if deleted is not None:
            keep *= ~deleted
        kept = pair.view(w).take(np.flatnonzero(keep.view(np.bool_)), mode="clip")
    else:  # pragma: no cover - big-endian machines: the pair as two columns
        kept = _pairs_kept(tok, m, ins, deleted).view(w)
    out[o:o + kept.shape[0]] = kept
    return o + kept.shape[0]


def _check_unmasked(is_mask: np.ndarray, r: np.ndarray | None, deleted: np.ndarray | None,
                    y_minus_mask: np.ndarray | None, offset: int) -> None:
    """Raise the error of an unmasked position: ``y`` is None (``y_minus_mask`` None) or MASK there (zero in
    ``y_minus_mask``, which is ``(y - MASK) * is_mask``).  Returns when no unmasked position is at fault."""
    unmask = is_mask if r is None else is_mask > r  # a mask, not remasked (a > b is a & ~b on booleans)
    if deleted is not None:
        unmask = unmask > deleted
    if y_minus_mask is None:
        if unmask.any():
            raise TransitionError("y is required: some masks are unmasked")
        return
    bad = y_minus_mask == 0
    bad &= unmask
    if bad.any():
        pos = offset + int(np.argmax(bad))
        raise TransitionError(f"y is MASK at unmasked position {pos}", position=pos)


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
