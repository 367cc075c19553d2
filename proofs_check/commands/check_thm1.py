"""``powergen check thm1``: Theorem 1 (PRAM -> MDM) measured over a sweep of n on every library program."""

from __future__ import annotations

import argparse

from pram.model import Policy
from pram.programs import PROGRAMS, get_program
from proofs_check.checkcli import Column, finish
from proofs_check.claims import CheckReport
from proofs_check.cliutil import add_json_flag, add_seed_flag, pos_int, progress
from proofs_check.errors import UsageError
from proofs_check.growth import UNDECIDED, resolution_text
from proofs_check.sweeps import THM1_MAX_N, THM4_MAX_N, arm_vs_mdm, plan_for, run_sweep

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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm1", help="Theorem 1: MDM simulates PRAM in T + 1 steps (0 on an empty instance) with "
                       "O(P T) context")
    add_sweep_flags(p)
    p.set_defaults(func=lambda args: run_check(args, "thm1"))


def _status(check: dict) -> str:
    if not check["ok"]:
        return "FAILED"
    return "open (undecided)" if UNDECIDED in (check["got"], check["expect"].rsplit("(", 1)[-1].rstrip(")")) else "ok"


def run_check(args: argparse.Namespace, theorem: str) -> int:
    """Shared body of ``check thm1`` / ``check thm4``."""
    names = sorted(PROGRAMS) if args.programs is None else [s.strip() for s in args.programs.split(",") if s.strip()]
    unknown = [s for s in names if s not in PROGRAMS]
    if unknown or not names:
        raise UsageError(f"unknown programs {unknown}; known: {', '.join(sorted(PROGRAMS))}")
    if args.policy is not None:  # refuse a policy the programs cannot run under, before any work (exit 2)
        policy = Policy.parse(args.policy)
        weak = [s for s in names if not policy.at_least(get_program(s).min_policy)]
        if weak:
            need = ", ".join(f"{s} needs {get_program(s).min_policy.value}" for s in weak)
            raise UsageError(f"--policy {policy.value} is too weak for {need} (choose --programs or a stronger "
                             f"policy)")
    cap = 16 if args.quick else args.max_n
    plan = plan_for(THM1_MAX_N if theorem == "thm1" else THM4_MAX_N, names, cap=cap)
    with progress(not args.json, f"check {theorem}", len(plan)) as advance:
        report = run_sweep(theorem, plan, args.seed, advance=advance, policy=args.policy)
    notes = []
    if theorem == "thm1" and "connectivity" in names:
        demo = arm_vs_mdm(report.points, args.seed)
        report = CheckReport(claim=report.claim, points=report.points, ok=report.ok and demo["ok"],
                             extra={**report.extra, "arm_vs_mdm": demo},
                             failed=report.failed + tuple(f"ARM vs MDM: {f}" for f in demo.get("failed", ())))
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
    verdict = "O(1)" if theorem == "thm4" else "not O(1)"
    notes.append(f"  context as T -> oo with S, P fixed (sympy O, one variable): {verdict} expected; "
                 f"{'ok' if report.extra['context_O1_in_T_ok'] else 'FAILED'} on {len(o1)} programs")
    cols = COLUMNS if theorem == "thm1" else [c for c in COLUMNS if c != ("<= 2(K+W)PT + 2S", "bounds.context_le")]
    return finish(report, args, cols, title=f"Theorem {theorem[-1]} ({report.claim}): exact formulas per point",
                  notes=notes)
