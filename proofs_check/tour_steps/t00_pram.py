"""Tour section: every PRAM library program on one small random instance, against its oracle and exact counters."""

from __future__ import annotations

from pram.machine import PRAM
from pram.programs import PROGRAMS
from pram.rng import as_generator
from proofs_check.tour import TourRow

ORDER = 0
TITLE = "PRAM library"

#: instance size shown in the tour, and the closed form of T(n) it is held against
SIZES = {"prefix-sums": 13, "sum": 13, "parity": 13, "list-ranking": 13, "sort": 13, "dyck": 12,
         "connectivity": 12, "sat": 5, "iterate": 40}
T_FORMULA = {
    "prefix-sums": "T = 1 + ceil(log2 n)",
    "sum": "T = ceil(log2 n)",
    "parity": "T = ceil(log2 n)",
    "list-ranking": "T = 1 + ceil(log2 n)",
    "sort": "T = L(L+1)/2, L = ceil(log2 n)",
    "dyck": "T = L + 4 + L(L+1)/2 + ceil(log2(n + n div 2))",
    "connectivity": "T = 9 R(n), R = ceil(log_1.5 n) + 1",
    "sat": "T = 2^v + 2",
    "iterate": "T = N",
}


def run(seed: int) -> list[TourRow]:
    rows = []
    for name, prog in PROGRAMS.items():
        n = SIZES.get(name, 8)
        inst = prog.random_instance(n, as_generator(seed + n))
        res = PRAM(program=prog, seed=seed).run(inst)
        exact = prog.exact_counters(inst)
        c = res.counters
        ok = res.output == prog.oracle(inst) and c == exact
        rows.append(TourRow(claim=f"{name} = oracle, counters = formula ({prog.min_policy.value})",
                            measured=f"n={n}: T={c.time} P={c.processors} W={c.work} S={c.memory}",
                            bound=f"{T_FORMULA.get(name, 'T')} = {exact.time}",
                            status="ok" if ok else "FAIL"))
    return rows
