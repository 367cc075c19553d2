"""Theorem 5's brute-force oracle: all ``(2k)^n`` words evaluated in SL(2, Z), no free reduction anywhere.

Sanov's matrices ``A = [[1, 2], [0, 1]]`` and ``B = [[1, 0], [2, 1]]`` generate a free group of rank 2 in
``SL(2, Z)``; inside it, ``x_i = A^(i-1) B A^-(i-1)`` (``i = 1..k``) are free generators of a free subgroup of rank
``k`` (they belong to a free basis of the kernel of ``<A, B> -> Z``, ``A -> 1``, ``B -> 0``).  So a word over
``x_1^{+-1} .. x_k^{+-1}`` is the identity of ``F_k`` -- is two-sided Dyck-k -- iff its matrix product is the
identity matrix.  Products are exact ``int64``; :func:`entry_bound` refuses lengths that could overflow.

A word of length ``n`` is coded as the base-``2k`` number of its letter indices (index ``2(i-1)`` is ``+i``,
``2(i-1)+1`` is ``-i``), first letter most significant, so sorted codes are words in canonical order.
"""

from __future__ import annotations

import numpy as np

from reductions.errors import InstanceTooLarge

__all__ = ["code_of_word", "dyck_codes_bruteforce", "entry_bound", "generator_matrices", "word_of_code"]

_INT64_SAFE = 1 << 62
#: Upper bound on ``chunk * (2k)^b`` matrices held at once.
_BATCH = 1 << 20


def _mul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Batched 2x2 product; matrices are flattened ``(m00, m01, m10, m11)`` on the last axis."""
    return np.stack([x[..., 0] * y[..., 0] + x[..., 1] * y[..., 2], x[..., 0] * y[..., 1] + x[..., 1] * y[..., 3],
                     x[..., 2] * y[..., 0] + x[..., 3] * y[..., 2], x[..., 2] * y[..., 1] + x[..., 3] * y[..., 3]],
                    axis=-1)


def generator_matrices(k: int) -> np.ndarray:
    """``(2k, 4)`` int64: the matrices of ``+1, -1, +2, -2, ...`` (flattened), ``x_i = A^(i-1) B A^-(i-1)``.

    Examples
    --------
    >>> generator_matrices(2).tolist()
    [[1, 0, 2, 1], [1, 0, -2, 1], [5, -8, 2, -3], [-3, 8, -2, 5]]
    """
    out = np.zeros((2 * k, 4), dtype=np.int64)
    for i in range(k):
        a, a_inv = np.array([1, 2 * i, 0, 1], dtype=np.int64), np.array([1, -2 * i, 0, 1], dtype=np.int64)
        for sign, b in ((0, np.array([1, 0, 2, 1], dtype=np.int64)), (1, np.array([1, 0, -2, 1], dtype=np.int64))):
            out[2 * i + sign] = _mul(_mul(a, b), a_inv)
    return out


def entry_bound(k: int, n: int) -> int:
    """An upper bound on any entry of a product of ``n`` generator matrices (max row-sum norm to the ``n``)."""
    g = generator_matrices(k)
    norm = int(max(max(abs(int(m[0])) + abs(int(m[1])), abs(int(m[2])) + abs(int(m[3]))) for m in g))
    return norm**n


def _all_products(g: np.ndarray, length: int) -> np.ndarray:
    """Matrices of all words of ``length`` letters, in code order: ``((2k)^length, 4)``."""
    prods = np.array([[1, 0, 0, 1]], dtype=np.int64)
    for _ in range(length):
        prods = _mul(prods[:, None, :], g[None, :, :]).reshape(-1, 4)
    return prods


def dyck_codes_bruteforce(k: int, n: int) -> np.ndarray:
    """Sorted codes of all words of length ``n`` whose matrix product is the identity (= two-sided Dyck-k).

    Every one of the ``(2k)^n`` words is evaluated: word = prefix (``a`` letters) + suffix (``b`` letters), its
    matrix is ``M(prefix) @ M(suffix)``, computed for all pairs in vectorised batches.

    Examples
    --------
    >>> [word_of_code(int(c), 2, 2) for c in dyck_codes_bruteforce(2, 2)]
    [(1, -1), (-1, 1), (2, -2), (-2, 2)]

    Notes
    -----
    O((2k)^n) multiply-adds, numpy-vectorised; memory O(2^20) matrices at a time.  Theorem 5's oracle.
    """
    if entry_bound(k, n) >= _INT64_SAFE:
        raise InstanceTooLarge(quantity=f"matrix entry bound for k={k}, length {n}", needed=entry_bound(k, n),
                               limit=_INT64_SAFE, hint="a shorter length (int64 products would overflow)")
    g = generator_matrices(k)
    base = 2 * k
    b = 0
    while b < n and base ** (b + 1) <= 1 << 16:
        b += 1
    a = n - b
    suffix = _all_products(g, b)
    prefix = _all_products(g, a)
    chunk = max(1, _BATCH // suffix.shape[0])
    found: list[np.ndarray] = []
    ident = np.array([1, 0, 0, 1], dtype=np.int64)
    for start in range(0, prefix.shape[0], chunk):
        pre = prefix[start:start + chunk]
        # entry (0, 1) of every product first; the full product only where it is 0 (few pairs)
        top_right = np.multiply.outer(pre[:, 0], suffix[:, 1])
        top_right += np.multiply.outer(pre[:, 1], suffix[:, 3])
        cand_i, cand_j = np.nonzero(top_right == 0)
        full = _mul(pre[cand_i], suffix[cand_j])
        hit = (full == ident).all(axis=-1)
        found.append((cand_i[hit] + start).astype(np.int64) * suffix.shape[0] + cand_j[hit])
    return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def code_of_word(word: tuple[int, ...] | list[int], k: int) -> int:
    """Base-``2k`` code of a word (first letter most significant).

    Examples
    --------
    >>> code_of_word((1, -1), 2), code_of_word((-2,), 2)
    (1, 3)
    """
    code = 0
    for s in word:
        code = code * 2 * k + 2 * (abs(s) - 1) + (1 if s < 0 else 0)
    return code


def word_of_code(code: int, k: int, n: int) -> tuple[int, ...]:
    """Inverse of :func:`code_of_word` for words of length ``n``.

    Examples
    --------
    >>> word_of_code(code_of_word((2, -1, 1), 2), 2, 3)
    (2, -1, 1)
    """
    out = []
    for _ in range(n):
        code, d = divmod(code, 2 * k)
        out.append(d // 2 + 1 if d % 2 == 0 else -(d // 2 + 1))
    return tuple(reversed(out))
