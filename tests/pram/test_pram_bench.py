"""Benchmark: prefix sums at n = 2**20 in processor-steps per second, beside the per-processor Python loop engine
and numpy.cumsum, all measured in one run (``pytest -m benchmark tests/pram/test_pram_bench.py -s``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from pram.machine import PRAM
from pram.programs import get_program
from pram.reference import run_reference
from pram.rng import as_generator

N_FAST = 1 << 20
N_LOOP = 1 << 12  # the loop engine needs minutes at 2**20; processor-steps/s hardly depend on n


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


@pytest.mark.benchmark
def test_prefix_sums_processor_steps_per_second(benchmark: Any) -> None:
    prog = get_program("prefix-sums")
    big = prog.random_instance(N_FAST, as_generator(0))
    small = prog.random_instance(N_LOOP, as_generator(0))
    machine = PRAM(program=prog)

    run = benchmark.pedantic(machine.run, args=(big,), rounds=3, iterations=1, warmup_rounds=0)
    t_fast = benchmark.stats.stats.min
    assert run.output[-1] == sum(big.values) and run.counters == prog.exact_counters(big)

    t_fast_small, run_small = _best(lambda: machine.run(small), 5)
    t_loop, ref = _best(lambda: run_reference(prog, small), 1)
    assert ref.output == run_small.output

    values = np.asarray(big.values, dtype=np.int64)
    t_cumsum, cs = _best(lambda: np.cumsum(values), 20)
    assert cs.tolist() == run.output

    work_big, work_small = run.counters.work, prog.exact_counters(small).work
    rates = {
        "vectorised_2^20": work_big / t_fast,
        "vectorised_2^12": work_small / t_fast_small,
        "loop_2^12": work_small / t_loop,
        "cumsum_2^20_elements": N_FAST / t_cumsum,
    }
    speedup = rates["vectorised_2^20"] / rates["loop_2^12"]
    benchmark.extra_info.update({k: round(v) for k, v in rates.items()})
    benchmark.extra_info.update(speedup_over_loop=round(speedup, 1), cumsum_over_vectorised=round(t_fast / t_cumsum))
    print()
    print(f"prefix sums, n = 2^20: T = {run.counters.time}, work = {work_big} processor-steps")
    for k, v in rates.items():
        print(f"  {k:>22}: {v:14,.0f} per second")
    print(f"  vectorised / loop speed-up: {speedup:.0f}x; numpy.cumsum is {t_fast / t_cumsum:.0f}x faster than the "
          f"simulated PRAM run (t_fast = {t_fast:.3f} s, t_cumsum = {t_cumsum * 1e3:.2f} ms)")
    assert speedup >= 100
