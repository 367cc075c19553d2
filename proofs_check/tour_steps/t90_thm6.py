"""Tour section: Theorem 6 -- PRESERVE: the AP-MDM applies T edit rounds in T steps; a sequential walk back needs T
dependent lookups, pointer doubling ceil(log2 T) + 1 (neither is constant depth; hardness is not demonstrated).

The rows are points of the check itself (:func:`proofs_check.claims.thm6.sweep`, held against the claim's bounds):
nothing here re-implements a measurement.
"""

from __future__ import annotations

from math import ceil, log2

from proofs_check.claims.thm6 import sweep
from proofs_check.tour import TourRow

ORDER = 90
TITLE = "Theorem 6: PRESERVE (AP-MDM vs ARM)"


def run(seed: int) -> list[TourRow]:
    """One row per T in (8, 32) at n = 16: steps, sequential and parallel dependency depth, agreement of the four
    solvers -- each a point of the Theorem 6 check."""
    rows = []
    for pt in sweep([(16, 8), (16, 32)], seed, lambda: None):
        T, m = int(pt.params["T"]), pt.measured
        agree = m["mismatch"] == 0
        want_par = ceil(log2(T)) + 1
        rows.append(TourRow(claim=f"PRESERVE n=16, T={T}: AP-MDM steps; sequential / pointer-doubling depth; agree",
                            measured=f"{m['steps']} steps; depth {m['arm_depth']} / {m['parallel_depth']}; "
                                     f"agree={agree}",
                            bound=f"= T = {T}; = T (by construction) / = ceil(log2 T)+1 = {want_par}",
                            status="ok" if pt.ok else "FAIL"))
    return rows
