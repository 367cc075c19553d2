"""``powergen check space``: the face of :mod:`proofs_check.claims.space` (parse, call ``report``, render, plot)."""

from __future__ import annotations

import argparse
from typing import Any

from proofs_check.claims import CheckReport
from proofs_check.claims.space import DEFAULT_SPACE_PLAN, quick_plan
from proofs_check.claims.space import report as space_report
from proofs_check.cli_common import add_json_flag, add_seed_flag, progress
from proofs_check.figures import pyplot, save_figure
from proofs_check.parallel import add_workers_flag
from proofs_check.report_render import Column, finish

GROUP = "check"
COLUMNS: list[Column] = ["program", "n", "T", "S", "P", ("MDM context", "measured.mdm_context"),
                         ("AP-MDM context", "measured.apmdm_context"), ("O(S) bound", "bounds.apmdm_O(S)"),
                         ("MDM steps", "measured.mdm_steps"), ("AP-MDM steps", "measured.apmdm_steps")]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("space", help="MDM context grows with T while AP-MDM stays O(S) (SAT brute force, iterate)")
    add_json_flag(p)
    add_seed_flag(p)
    p.add_argument("--quick", action="store_true", help="small sizes only")
    add_workers_flag(p)
    p.add_argument("--plot", metavar="FILE", default=None, help="draw both curves to FILE (.png/.svg/.pdf; needs "
                   "matplotlib, the 'plot' extra)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plot_module = pyplot() if args.plot else None
    total = sum(len(sizes) for _, sizes in (quick_plan() if args.quick else DEFAULT_SPACE_PLAN))
    with progress(not args.json, "check space", total) as advance:
        report = space_report(args.seed, args.quick, advance=advance, workers=args.workers)
    notes = [f"  {name}: MDM context ~ {g['mdm_in_T']} in T ({g['mdm_in_n']} in n), AP-MDM context ~ "
             f"{g['apmdm_in_T']} in T ({g['apmdm_in_n']} in n)" for name, g in report.extra["growth"].items()]
    formula = [f"{r['program']} n={r['n']}" for r in report.extra["mdm_run"] if not r["mdm_run"]]
    if formula:
        notes.append("  MDM context from its exact layout, not run (too long to run in the default budget): "
                     + ", ".join(formula))
    if plot_module is not None:
        _plot(plot_module, report, args.plot)
        notes.append(f"  plot written to {args.plot}")
    return finish(report, args, COLUMNS, title="Theorems 1 vs 4: context of MDM vs AP-MDM on long, small-memory runs",
                  notes=notes)


def _plot(plt: Any, report: CheckReport, path: str) -> None:
    names = list(dict.fromkeys(str(p.params["program"]) for p in report.points))
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 4.2), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        pts = [p for p in report.points if p.params["program"] == name]
        Ts = [p.measured["T"] for p in pts]
        ax.plot(Ts, [p.measured["mdm_context"] for p in pts], "o-", label="MDM (Theorem 1): grows with T")
        ax.plot(Ts, [p.measured["apmdm_context"] for p in pts], "s-", label="AP-MDM (Theorem 4): O(S)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("PRAM time T")
        ax.set_ylabel("context length (tokens)")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    save_figure(plt, fig, path)
