"""Tour section: Theorem 6 -- PRESERVE: the AP-MDM applies T edit rounds in T steps; an ARM resolves T lookups."""

from __future__ import annotations

from proofs_check.tour import TourRow
from reductions.preserve import generate_instance, solve_apmdm, solve_bruteforce
from reductions.preserve_arm import solve_arm_style

ORDER = 90
TITLE = "Theorem 6: PRESERVE (AP-MDM vs ARM)"


def run(seed: int) -> list[TourRow]:
    """One row per T in (8, 32): steps, per-token dependency depth, agreement of the three solvers."""
    rows = []
    for T in (8, 32):
        inst = generate_instance(16, T, seed=seed + T)
        brute = solve_bruteforce(inst)
        ap = solve_apmdm(inst)
        arm = solve_arm_style(inst)
        ok = ap.final == brute.final and arm.answer == brute and ap.steps == T and arm.max_depth == T
        rows.append(TourRow(claim=f"PRESERVE n=16, T={T}: AP-MDM steps; ARM-style max dependency depth; agree",
                            measured=f"{ap.steps} steps; depth {arm.max_depth}; "
                                     f"agree={ap.final == brute.final and arm.answer == brute}",
                            bound=f"= T = {T}; = T", status="ok" if ok else "FAIL"))
    return rows
