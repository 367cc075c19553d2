"""Vectorised access checks of one PRAM step: address ranges, exclusive reads, and write-conflict resolution.

Fast path: a ``bincount`` (or, for a memory much larger than the number of accesses, a sort) detects whether any
cell is accessed twice; only then is the sort-based analysis run that names the cell and the processors.

Notes
-----
A write is one used port ``(pid, port)``.  Two ports of one processor writing one cell count as two writers (a
conflict under EREW/CREW; resolved by the policy under CRCW).  Under CRCW-arbitrary, whenever some cell has two or
more writers, one key per used write port is drawn (``rng.integers(0, 2**62)``, in ``(pid, port)`` order) and the
smallest key wins; :mod:`pram.reference` draws the same keys, so the two engines agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from pram.errors import AccessConflict, AddressOutOfRange
from pram.model import Policy

__all__ = ["ARBITRARY_KEY_BOUND", "check_range", "check_reads", "has_duplicates", "resolve_writes"]

ARBITRARY_KEY_BOUND = 1 << 62


def check_range(addr: np.ndarray, pid: np.ndarray, size: int, step: int, kind: str) -> None:
    """:class:`AddressOutOfRange` for the first port (in pid order) with an address not in ``[-1, size)``."""
    if addr.size == 0 or (int(addr.min()) >= -1 and int(addr.max()) < size):
        return
    bad = (addr < -1) | (addr >= size)
    if bad.any():
        row, col = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), addr.shape)
        raise AddressOutOfRange(step=step, processor=int(pid[row]), address=int(addr[row, col]), size=size,
                                kind=kind)


def has_duplicates(a: np.ndarray, size: int) -> bool:
    """Whether the 1-d array of cell addresses ``a`` (all in ``[0, size)``) holds some address twice.

    >>> has_duplicates(np.array([3, 1, 3]), 4), has_duplicates(np.array([5, 900]), 1000)
    (True, False)
    """
    k = a.shape[0]
    if k < 2:
        return False
    if size <= 8 * k:
        return bool(np.bincount(a, minlength=size).max() > 1)
    s = np.sort(a)
    return bool(np.any(s[1:] == s[:-1]))


def _flat(addr: np.ndarray, used: np.ndarray, pid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return addr[used], np.broadcast_to(pid[:, None], addr.shape)[used]


def _used(addr: np.ndarray, used: np.ndarray, k: int) -> np.ndarray:
    """The used addresses, without a copy when every port is used."""
    return addr.ravel() if k == addr.size else addr[used]


def check_reads(raddr: np.ndarray, rused: np.ndarray, pid: np.ndarray, size: int, step: int, policy: str,
                k: int | None = None) -> None:
    """EREW: :class:`AccessConflict` if two different processors read one cell in this step."""
    k = int(np.count_nonzero(rused)) if k is None else k
    if not has_duplicates(_used(raddr, rused, k), size):
        return
    a, p = _flat(raddr, rused, pid)
    order = np.lexsort((p, a))
    a, p = a[order], p[order]
    keep = np.ones(a.shape[0], dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (p[1:] != p[:-1])
    a, p = a[keep], p[keep]
    dup = np.flatnonzero(a[1:] == a[:-1])
    if dup.size:
        cell = int(a[dup[0]])
        raise AccessConflict(step=step, cell=cell, processors=p[a == cell].tolist(), kind="read", policy=policy)


def resolve_writes(memory: np.ndarray, waddr: np.ndarray, wval: np.ndarray, pid: np.ndarray, policy: Policy,
                   step: int, rng: np.random.Generator | None) -> int:
    """Apply one step's writes to ``memory`` in place under ``policy``; return the number of used write ports."""
    used = waddr >= 0
    k = int(np.count_nonzero(used))
    if k == 0:
        return 0
    a, v = _used(waddr, used, k), _used(wval, used, k)
    if not has_duplicates(a, memory.shape[0]):
        memory[a] = v
        return k
    p = np.broadcast_to(pid[:, None], waddr.shape)[used]
    if policy is Policy.CRCW_ARBITRARY:
        assert rng is not None
        keys = rng.integers(0, ARBITRARY_KEY_BOUND, size=k)
        order = np.lexsort((keys, a))
    else:
        order = np.argsort(a, kind="stable")  # (pid, port) order inside each cell: lowest pid first
    a, v, p = a[order], v[order], p[order]
    first = np.ones(k, dtype=bool)
    first[1:] = a[1:] != a[:-1]
    if policy in (Policy.EREW, Policy.CREW):
        multi = np.flatnonzero(~first)
        cell = int(a[multi[0]])
        raise AccessConflict(step=step, cell=cell, processors=sorted(set(p[a == cell].tolist())), kind="write",
                             policy=policy.value)
    if policy is Policy.CRCW_COMMON:
        gid = np.cumsum(first) - 1
        differ = v != v[np.flatnonzero(first)][gid]
        if differ.any():
            cell = int(a[np.flatnonzero(differ)[0]])
            raise AccessConflict(step=step, cell=cell, processors=sorted(set(p[a == cell].tolist())),
                                 kind="write (different values)", policy=policy.value)
    memory[a[first]] = v[first]
    return k
