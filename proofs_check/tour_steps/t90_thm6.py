"""Tour section: Theorem 6 -- PRESERVE: the AP-MDM applies T edit rounds in T steps; a sequential walk back needs T
dependent lookups, pointer doubling ceil(log2 T) + 1 (neither is constant depth; hardness is not demonstrated)."""

from __future__ import annotations

from math import ceil, log2

from proofs_check.tour import TourRow
from reductions.preserve import generate_instance, solve_apmdm, solve_bruteforce
from reductions.preserve_arm import solve_arm_style, solve_parallel

ORDER = 90
TITLE = "Theorem 6: PRESERVE (AP-MDM vs ARM)"


def run(seed: int) -> list[TourRow]:
    """One row per T in (8, 32): steps, sequential and parallel dependency depth, agreement of the four solvers."""
    rows = []
    for T in (8, 32):
        inst = generate_instance(16, T, seed=seed + T)
        brute = solve_bruteforce(inst)
        ap = solve_apmdm(inst)
        arm = solve_arm_style(inst)
        par = solve_parallel(inst)
        agree = ap.final == brute.final and arm.answer == brute and par.answer == brute
        want_par = ceil(log2(T)) + 1
        ok = agree and ap.steps == T and arm.max_depth == T and par.depth == want_par
        rows.append(TourRow(claim=f"PRESERVE n=16, T={T}: AP-MDM steps; sequential / pointer-doubling depth; agree",
                            measured=f"{ap.steps} steps; depth {arm.max_depth} / {par.depth}; agree={agree}",
                            bound=f"= T = {T}; = T (by construction) / = ceil(log2 T)+1 = {want_par}",
                            status="ok" if ok else "FAIL"))
    return rows
