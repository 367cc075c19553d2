"""Benchmarks (off by default; ``-m benchmark``): the vectorised Sudoku paths against their plain references."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from machines.transition import apply_g
from reductions.tasks.sudoku import iter_transitions, solve, verify_trajectory, verify_trajectory_reference
from reductions.tasks.sudoku_grid import MASK, candidate_masks, candidate_masks_reference, parse_puzzle

ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"


@pytest.mark.benchmark(group="sudoku-candidates")
@pytest.mark.parametrize("impl", ["numpy", "reference"])
def test_bench_candidates(benchmark: Any, impl: str) -> None:
    grid = parse_puzzle(ESCARGOT)
    fn = candidate_masks if impl == "numpy" else candidate_masks_reference
    out = benchmark(fn, grid)
    assert list(out) == candidate_masks_reference(grid)


@pytest.mark.benchmark(group="sudoku-verify-g")
@pytest.mark.parametrize("impl", ["batch", "per-step-reference", "per-transition"])
def test_bench_verify(benchmark: Any, impl: str) -> None:
    t = solve(ESCARGOT)
    if impl == "batch":
        assert benchmark(verify_trajectory, t) == []
    elif impl == "per-step-reference":
        assert benchmark(verify_trajectory_reference, t) == []
    else:
        def per_step() -> bool:
            return all(np.array_equal(apply_g(tr.x, tr.y, tr.remask, tr.insert, tr.delete, mask_id=MASK), tr.x_next)
                       for tr in iter_transitions(t))
        assert benchmark(per_step)
