"""Tour section: Theorem 1 -- a PRAM program run as an MDM (the project's reconstruction), in lock step."""

from __future__ import annotations

from proofs_check.claims.thm1 import THEOREM1
from proofs_check.simulation import measure
from proofs_check.tour import TourRow

ORDER = 20
TITLE = "Theorem 1: PRAM -> MDM (T + 1 steps, context O(P T))"


def _status(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def run(seed: int) -> list[TourRow]:
    """Connectivity (n = 13) and prefix sums (n = 11) through the Theorem 1 MDM."""
    rows: list[TourRow] = []
    for name, n in (("connectivity", 13), ("prefix-sums", 11)):
        pt, run_ = measure(THEOREM1, name, n, seed)
        m, b = pt.measured, pt.bounds
        if not m or run_ is None:
            rows.append(TourRow(f"thm1 {name} n={n}: lock step", pt.note, "no mismatch", "FAIL"))
            continue
        rows.append(TourRow(f"thm1 {name} n={n}: MDM steps = T + 1", str(m["steps"]), f"= {b['steps']} (T={m['T']})",
                            _status(m["steps"] == int(b["steps"]))))
        rows.append(TourRow(f"thm1 {name} n={n}: context = 2S + PK + TP(K+2W)", str(m["context"]),
                            f"= {b['context']} (P={m['P']}, S={m['S']})", _status(m["context"] == int(b["context"]))))
        rows.append(TourRow(f"thm1 {name} n={n}: lookups per position", str(m["lookups"]), f"<= {b['lookups']}",
                            _status(m["lookups"] <= int(b["lookups"]))))
        rows.append(TourRow(f"thm1 {name} n={n}: lock step + output = oracle",
                            f"{run_.lockstep} ({run_.lockstep_steps} PRAM steps)", "every step", _status(pt.ok)))
        if name == "connectivity":
            arm = m["context"] - m["S"] - m["P"] * int(run_.layout["K"])
            rows.append(TourRow(f"thm1 {name} n={n}: MDM steps vs ARM writing the same records",
                                f"{m['steps']} vs {arm}", "MDM O(log n), ARM = tokens written",
                                _status(m["steps"] < arm)))
    return rows
