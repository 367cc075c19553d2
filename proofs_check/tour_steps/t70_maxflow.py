"""Tour section: max-flow / min-cut as an AP-MDM edit process (PAPER.md §3.3)."""

from __future__ import annotations

from proofs_check.tour import TourRow
from reductions.tasks.maxflow import run_maxflow, verify_run
from reductions.tasks.maxflow_graph import generate_instance, max_flow_values

ORDER = 70
TITLE = "Max-flow: graph editing to a minimum cut"


def run(seed: int) -> list[TourRow]:
    """One instance at 4, 7 and 10 nodes: g on every step, then the min-cut certificates against networkx."""
    rows = []
    for n in (4, 7, 10):
        inst = generate_instance(nodes=n, seed=seed)
        r = run_maxflow(inst)
        bad = verify_run(r)
        ek, pp = max_flow_values(inst)
        rows.append(TourRow(claim=f"{n} nodes: every step is g; no s-t path left; cut is minimum",
                            measured=f"{len(r.deleted)} deleted, {r.steps} steps, length {r.counters.peak_length}",
                            bound=f"max-flow {ek} (EK) = {pp} (preflow)", status="ok" if not bad else "FAIL"))
    return rows
