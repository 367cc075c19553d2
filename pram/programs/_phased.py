"""Lock-step programs made of named phases: the program counter is the global step index.

A :class:`Phased` program runs all its processors in lock step for ``length(n)`` steps.  Step ``s`` (the pc,
0-based) belongs to a phase ``(kind, arg) = phase(s, n)``; the subclass supplies ``read_<kind>(arg, pid, regs)``
and ``compute_<kind>(arg, pid, regs, values) -> (waddr, wval, new_regs)`` (the pc column of ``new_regs`` is
ignored).  Register column 1 holds n, so a processor's step depends on nothing but its registers and the values it
reads.  Rows with different pcs (which never occur in a lock-step run, but may in a re-execution) are dispatched
group by group.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from pram.model import Program

I = TypeVar("I")  # noqa: E741

__all__ = ["Phased"]


class Phased(Program[I]):
    """Base class of lock-step phased programs (see the module docstring)."""

    def length(self, n: int) -> int:
        """The number of steps T(n) of the schedule."""
        raise NotImplementedError

    def phase(self, s: int, n: int) -> tuple[str, int]:
        """The phase ``(kind, arg)`` of step ``s`` (0-based) for size n."""
        raise NotImplementedError

    def _groups(self, regs: np.ndarray) -> list[tuple[Any, int, int]]:
        pc = regs[:, 0]
        if pc.shape[0] == 0:
            return []
        lo, hi = int(pc.min()), int(pc.max())
        if lo == hi >= 0:
            return [(slice(None), lo, int(regs[0, 1]))]
        # halted rows (pc < 0; never scheduled by the machines) keep their registers and touch nothing
        return [(pc == s, int(s), int(regs[pc == s][0, 1])) for s in np.unique(pc).tolist() if s >= 0]

    def read_addresses(self, step: int, pid: np.ndarray, regs: np.ndarray) -> np.ndarray:
        out = np.full((regs.shape[0], self.num_reads), -1, dtype=np.int64)
        for rows, s, n in self._groups(regs):
            kind, arg = self.phase(s, n)
            out[rows] = getattr(self, "read_" + kind)(arg, pid[rows], regs[rows])
        return out

    def compute(self, step: int, pid: np.ndarray, regs: np.ndarray,
                values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = regs.shape[0]
        waddr = np.full((a, self.num_writes), -1, dtype=np.int64)
        wval = np.zeros((a, self.num_writes), dtype=np.int64)
        new = regs.copy()
        for rows, s, n in self._groups(regs):
            kind, arg = self.phase(s, n)
            wa, wv, nr = getattr(self, "compute_" + kind)(arg, pid[rows], regs[rows], values[rows])
            nr = nr.copy()
            nr[:, 0] = s + 1 if s + 1 < self.length(n) else -1
            waddr[rows], wval[rows], new[rows] = wa, wv, nr
        return waddr, wval, new
