"""``powergen check thm3``: the face of :mod:`proofs_check.claims.thm3` (parse, call ``report``, render).

An AO-MDM rearranged left to right (Theorem 3), and the parallel-MDM companion table; what each table measures is
stated in :mod:`proofs_check.claims.thm3`.
"""

from __future__ import annotations

import argparse
from typing import Any

from proofs_check.claims.thm3 import report, run_point  # noqa: F401  (run_point re-exported for tests)
from proofs_check.cli_common import EXIT_FAILED, EXIT_OK, add_json_flag, add_seed_flag, emit_json, stdout_console
from proofs_check.parallel import add_workers_flag
from proofs_check.report_render import render_report

GROUP = "check"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm3", help="Theorem 3: AO-MDM -> Masked-ARM, and k tokens per step vs one")
    p.add_argument("--quick", action="store_true", help="small sizes only (the tour's sweep)")
    add_seed_flag(p)
    add_json_flag(p)
    add_workers_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    r1, r2 = report(args.seed, args.quick, show_progress=not args.json, workers=args.workers)
    ok = r1.ok and r2.ok
    if args.json:
        doc: dict[str, Any] = r1.to_json()
        doc["ok"] = ok
        doc["companion"] = r2.to_json()
        emit_json(doc)
        return EXIT_OK if ok else EXIT_FAILED
    console = stdout_console()
    console.print(render_report(r1, ["case", "S", "masks", "ao_steps", "marm_steps", "marm_length",
                                     ("bound 2S", "bounds.marm_length"), "lookups", "same_canvas"],
                                title="Theorem 3: AO-MDM vs its Masked-ARM simulation"))
    console.print(f"extra lookup passes of f' over all S: {r1.extra['lookup_passes_over_all_S']} (constant)")
    console.print(render_report(r2, ["case", "S", "masks", "k", "steps", "steps_one", "speedup", "depth",
                                     ("bound ceil(m/k)+depth", "bounds.steps")],
                                title="Companion: at most k tokens per step (MDM) vs one per step (AO-MDM)"))
    failed = sum(1 for p in r1.points + r2.points if not p.ok)
    total = len(r1.points) + len(r2.points)
    verdict = "[green]all points ok[/green]" if ok else "[bold red]some points FAILED[/bold red]"
    console.print(f"{verdict} ({total - failed}/{total} points)")
    return EXIT_OK if ok else EXIT_FAILED
