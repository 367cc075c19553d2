"""``powergen check thm1``: the face of :mod:`proofs_check.claims.thm1` (parse, call ``report``, render); the
rendering of a simulation sweep is shared with ``check thm4``."""

from __future__ import annotations

import argparse

from proofs_check.claims import CheckReport
from proofs_check.claims.thm1 import THEOREM1, report
from proofs_check.cli_common import add_json_flag, add_seed_flag, pos_int, progress
from proofs_check.growth import UNDECIDED, resolution_text
from proofs_check.parallel import add_workers_flag
from proofs_check.report_render import Column, finish
from proofs_check.simulation import SimulationTheorem

GROUP = "check"
COLUMNS: list[Column] = ["program", "n", "T", "P", "S", "steps", ("bound", "bounds.steps"), "context",
                         ("bound", "bounds.context"), ("<= 2(K+W)PT + 2S", "bounds.context_le"), "lookups",
                         ("bound", "bounds.lookups")]


def add_sweep_flags(p: argparse.ArgumentParser) -> None:
    """Flags shared by ``check thm1`` and ``check thm4``."""
    add_json_flag(p)
    add_seed_flag(p)
    p.add_argument("--programs", default=None, help="comma-separated program names (default: all)")
    p.add_argument("--max-n", type=pos_int, default=None, help="cap every program's largest n")
    p.add_argument("--quick", action="store_true", help="a small sweep (n <= 16)")
    p.add_argument("--policy", default=None, help="PRAM access policy (default: each program's weakest supported)")
    add_workers_flag(p)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm1", help="Theorem 1: MDM simulates PRAM in T + 1 steps (0 on an empty instance) with "
                       "O(P T) context")
    add_sweep_flags(p)
    p.set_defaults(func=run)


def _status(check: dict) -> str:
    if not check["ok"]:
        return "FAILED"
    return "open (undecided)" if UNDECIDED in (check["got"], check["expect"].rsplit("(", 1)[-1].rstrip(")")) else "ok"


def program_names(args: argparse.Namespace) -> list[str] | None:
    """The ``--programs`` list (``None``: every program)."""
    return None if args.programs is None else [s.strip() for s in args.programs.split(",") if s.strip()]


def run(args: argparse.Namespace) -> int:
    """Parse, call :func:`proofs_check.claims.thm1.report`, render."""
    with progress(not args.json, "check thm1", None) as advance:
        result = report(args.seed, args.quick, programs=program_names(args), max_n=args.max_n, policy=args.policy,
                        advance=advance, workers=args.workers)
    return render_sweep(result, args, THEOREM1)


def render_sweep(report: CheckReport, args: argparse.Namespace, theorem: SimulationTheorem) -> int:
    """Shared rendering of ``check thm1`` / ``check thm4``: the points' table, then the growth and sympy notes."""
    notes = []
    if "arm_vs_mdm" in report.extra:
        demo = report.extra["arm_vs_mdm"]
        notes.append("  MDM vs an ARM writing the same records, connectivity (n: MDM steps / ARM steps):")
        notes.append("    " + ", ".join(f"{r['n']}: {r['mdm_steps']} / {r['arm_steps']}" for r in demo["rows"]))
        notes.append(f"    per point: ARM steps >= P(K+2W)(MDM steps - 1) and > MDM steps: "
                     f"{'ok' if demo['ok'] else 'FAILED'} (ARM steps = tokens written, confirmed by running both "
                     f"machines at n = {demo['confirmed_by_running']['n']})")
        if "mdm_class" in demo:
            notes.append(f"    growth: MDM steps ~ {demo['mdm_class']}, ARM steps ~ {demo['arm_class']}")
    for name, fit in report.extra["growth"].items():
        parts = [f"{q} ~ {fit[q]['best']}" for q in ("T", "steps", "context") if q in fit]
        expect = [f"{c['quantity']} {c['expect']}: {_status(c)}" for c in fit["expected"]]
        notes.append(f"  growth in n, {name}: " + ", ".join(parts) + (" -- expected " + "; ".join(expect)
                                                                      if expect else ""))
    notes.append(f"  a growth verdict {resolution_text()}; an undecided one fails nothing (the exact formulas per "
                 "point carry the claim)")
    notes.append(f"  steps in O(T) (sympy O, one variable): "
                 f"{'ok' if report.extra['steps_O_T_ok'] else 'FAILED'} on {len(report.extra['steps_O_T'])} programs")
    o1 = report.extra["context_O1_in_T"]
    verdict = "O(1)" if theorem.context_O1_in_T else "not O(1)"
    notes.append(f"  context as T -> oo with S, P fixed (sympy O, one variable): {verdict} expected; "
                 f"{'ok' if report.extra['context_O1_in_T_ok'] else 'FAILED'} on {len(o1)} programs")
    has_le = any(b.name == "context" and b.kind == "le" for b in theorem.claim.bounds)
    cols = COLUMNS if has_le else [c for c in COLUMNS if c != ("<= 2(K+W)PT + 2S", "bounds.context_le")]
    return finish(report, args, cols, title=f"Theorem {theorem.number} ({report.claim}): exact formulas per point",
                  notes=notes)
