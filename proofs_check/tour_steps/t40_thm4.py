"""Tour section: Theorem 4 -- a PRAM program run as an AP-MDM with O(S) context (the project's reconstruction)."""

from __future__ import annotations

from proofs_check.claims.thm1 import THEOREM1
from proofs_check.claims.thm4 import THEOREM4
from proofs_check.simulation import measure
from proofs_check.tour import TourRow

ORDER = 40
TITLE = "Theorem 4: PRAM -> AP-MDM (O(T) steps, context O(S + P))"


def _status(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def run(seed: int) -> list[TourRow]:
    """Brute-force SAT (v = 5), connectivity (n = 13) and iterate (N = 64) through the Theorem 4 AP-MDM, MDM
    context alongside."""
    rows: list[TourRow] = []
    for name, n in (("sat", 5), ("connectivity", 13), ("iterate", 64)):
        pt, run_ = measure(THEOREM4, name, n, seed)
        m, b = pt.measured, pt.bounds
        if not m or run_ is None:
            rows.append(TourRow(f"thm4 {name} n={n}: lock step", pt.note, "no mismatch", "FAIL"))
            continue
        rows.append(TourRow(f"thm4 {name} n={n}: steps = ceil(log2(K+2W+1)) + 2T + 1", str(m["steps"]),
                            f"= {b['steps']} (T={m['T']})", _status(m["steps"] == int(b["steps"]))))
        rows.append(TourRow(f"thm4 {name} n={n}: context = S + 3 + P(2+2K+2W)", str(m["context"]),
                            f"= {b['context']} (S={m['S']}, P={m['P']})", _status(m["context"] == int(b["context"]))))
        mdm, _ = measure(THEOREM1, name, n, seed)
        rows.append(TourRow(f"thm4 {name} n={n}: AP-MDM vs MDM context", f"{m['context']} vs "
                            f"{mdm.measured.get('context', '?')}", "AP-MDM independent of T",
                            _status(mdm.ok and m["context"] < mdm.measured.get("context", 0))))
        rows.append(TourRow(f"thm4 {name} n={n}: lock step + output = oracle",
                            f"{run_.lockstep} ({run_.lockstep_steps} PRAM steps)", "every step", _status(pt.ok)))
    return rows
