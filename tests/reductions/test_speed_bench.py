"""Benchmarks of issue 17 (off by default; ``-m benchmark``): each fast path beside the reference it replaced.

Run: ``.venv/bin/python -m pytest tests/reductions/test_speed_bench.py -m benchmark -p no:cacheprovider -p no:xdist
--benchmark-group-by=group --benchmark-columns=min,median,rounds``.  The numbers are in docs/bench/speed.md.

* Theorem 5 support search: :func:`reductions.dyck_generator.reachable_outputs` (one vectorised ``g`` per chunk
  of a breadth-first level) beside :func:`~reductions.dyck_generator.reachable_outputs_reference` (one state at a
  time, the reference ``g`` per prediction), k = 2 up to length 10.  Both give the same summary (asserted).
* Theorem 1 lookup charging: :class:`reductions.pram_common.HardAttention` (sparse charges) beside
  :class:`DenseCounting` below, the dense count array it replaced (``bincount(minlength=len(x))`` per charge),
  both running the whole Theorem 1 lock-step run on connectivity at n = 256; the lookup maxima must agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import reductions.pram_to_mdm as pram_to_mdm
from pram.programs import PROGRAMS
from pram.rng import as_generator
from reductions.dyck_generator import DyckGenerator, reachable_outputs, reachable_outputs_reference
from reductions.lockstep import run_mdm
from reductions.pram_common import HardAttention


class DenseCounting(HardAttention):
    """The counting of the first build: a full-length count array, updated by a bincount per charge."""

    __slots__ = ("_dense",)

    def __init__(self, x: np.ndarray) -> None:
        super().__init__(x)
        self._dense = np.zeros(self.length, dtype=np.int64)

    def _charge(self, queries: Any, per_row: Any = 1) -> None:
        if queries is None:
            self._dense += 1
            return
        q = np.asarray(queries, dtype=np.int64)
        if q.size == 0:
            return
        rows = np.asarray(per_row, dtype=np.int64)
        w = np.broadcast_to(rows.reshape(-1, *([1] * (q.ndim - 1))) if rows.ndim else rows, q.shape).ravel()
        self._dense += np.bincount(q.ravel(), weights=w, minlength=self.length).astype(np.int64)

    def counts_at(self, positions: Any) -> np.ndarray:
        pos = np.asarray(positions)
        return self._dense[np.flatnonzero(pos) if pos.dtype == np.bool_ else pos]


SUPPORT = {"fast (batched, vectorised g)": reachable_outputs, "reference (per state, reference g)":
           reachable_outputs_reference}


@pytest.mark.benchmark(group="thm5 support search, k=2 up to length 10")
@pytest.mark.parametrize("side", list(SUPPORT))
def test_support_search(benchmark: Any, side: str) -> None:
    gen = DyckGenerator(k=2)
    out = benchmark.pedantic(lambda: SUPPORT[side](gen, 10), rounds=1 if "reference" in side else 3)
    assert out == reachable_outputs(gen, 10)


@pytest.mark.benchmark(group="thm1 lock-step run, connectivity n=256")
@pytest.mark.parametrize("side", ["sparse charges (HardAttention)", "dense count array (DenseCounting)"])
def test_theorem1_charging(benchmark: Any, side: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if "dense" in side:
        monkeypatch.setattr(pram_to_mdm, "HardAttention", DenseCounting)
    prog = PROGRAMS["connectivity"]
    inst = prog.random_instance(256, as_generator(0))
    r = benchmark.pedantic(lambda: run_mdm(prog, inst), rounds=2)
    assert r.lockstep == "ok" and r.lookups_max == 5
