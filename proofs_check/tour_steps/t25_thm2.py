"""Tour section: Theorem 2 -- MDM decoding with context S on one processor, counted operation by operation.

The rows are points of the check itself (:func:`proofs_check.claims.thm2.point`, held against the claim's exact
count and explicit bound): nothing here re-implements a measurement.
"""

from __future__ import annotations

import math

from proofs_check.claims.thm2 import C, point
from proofs_check.tour import TourRow

ORDER = 25
TITLE = "Theorem 2: MDM on one processor"


def run(seed: int) -> list[TourRow]:
    """Interpreter == formula and == machine at S = 4, 8, 16 (k = 2); the explicit S^3 log S bound at S = 256 (k = 1,
    the most steps)."""
    rows = []
    small = [point(S, k=2, seed=seed, machine=True, interpret=True) for S in (4, 8, 16)]
    equal = all(p.measured["interp_ops"] == p.measured["ops"] for p in small)
    same = all("differs" not in p.note for p in small)
    steps_ok = all(p.measured["steps"] <= int(p.params["S"]) for p in small)
    shown = [f"{p.measured['interp_ops']}={p.measured['ops']}" for p in small]
    rows.append(TourRow(claim="serial interpreter ops = closed form (S=4,8,16, k=2)", measured=", ".join(shown),
                        bound="equal", status="ok" if equal else "FAIL"))
    rows.append(TourRow(claim="interpreter decodes what the vectorised MDM machine decodes; steps <= S",
                        measured=f"same={same}, steps<=S: {steps_ok}", bound="same; S",
                        status="ok" if same and steps_ok and all(p.ok for p in small) else "FAIL"))
    S = 256
    big = point(S, k=1, seed=seed, machine=False, interpret=False)
    ops = big.measured["ops"]
    bound = C * S**3 * int(math.log2(S))
    rows.append(TourRow(claim=f"serial ops at S={S} (d={big.measured['d']}, L=2, 2 heads) <= c*S^3*log2 S",
                        measured=f"{ops:.3e} (ratio {ops / (S**3 * 8):.1f})", bound=f"c={C}: {bound:.3e}",
                        status="ok" if big.ok and ops <= bound else "FAIL"))
    return rows
