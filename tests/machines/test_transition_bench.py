"""Benchmark (off by default; ``-m benchmark``): g on a 10^6-token sequence beside a plain numpy copy of it.

Run: ``.venv/bin/python -m pytest tests/machines/test_transition_bench.py -m benchmark -p no:cacheprovider
--benchmark-group-by=group --benchmark-columns=min,median,mean,rounds``.  The numbers are in docs/bench/machines.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from machines.transition import apply_g, apply_g_reference

N = 10**6
M = 0


def _inputs(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 50, n)
    x[rng.random(n) < 0.5] = M  # half the positions are masks
    y = rng.integers(1, 50, n)  # never MASK
    remask, insert, delete = (rng.random(n) < 0.1 for _ in range(3))  # random controls, density 1/10 each
    return x, y, remask, insert, delete


CASES: dict[str, Callable[[tuple[np.ndarray, ...]], Callable[[], object]]] = {
    "numpy copy": lambda a: a[0].copy,
    "g: all four operations": lambda a: lambda: apply_g(*a, mask_id=M),
    "g: int 0/1 controls": lambda a: (lambda c: lambda: apply_g(a[0], a[1], *c, mask_id=M))(
        [v.astype(np.int64) for v in a[2:]]),
        "g: unmask only": lambda a: lambda: apply_g(a[0], a[1], mask_id=M),
    "g: remask only (and unmask)": lambda a: lambda: apply_g(a[0], a[1], a[2], mask_id=M),
    "g: insert only (and unmask)": lambda a: lambda: apply_g(a[0], a[1], None, a[3], mask_id=M),
    "g: delete only (and unmask)": lambda a: lambda: apply_g(a[0], a[1], None, None, a[4], mask_id=M),
}


@pytest.mark.benchmark(group="g on 10^6 tokens", min_rounds=100)  # the min of many rounds: the machine is loaded
@pytest.mark.parametrize("case", list(CASES))
def test_g_beside_copy(benchmark: pytest.FixtureRequest, case: str) -> None:
    args = _inputs(N)
    out = benchmark(CASES[case](args))  # type: ignore[operator]
    assert len(out) > 0


@pytest.mark.benchmark(group="g reference, 10^5 tokens")
def test_reference_for_scale(benchmark: pytest.FixtureRequest) -> None:
    x, y, r, e, c = _inputs(10**5)
    lists = [v.astype(np.int64).tolist() for v in (x, y, r, e, c)]
    out = benchmark.pedantic(lambda: apply_g_reference(*lists, mask_id=M), rounds=3)  # type: ignore[attr-defined]
    assert out == apply_g(x, y, r, e, c, mask_id=M).tolist()
