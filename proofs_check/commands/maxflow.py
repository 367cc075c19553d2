"""``powergen maxflow run | table``: Edmonds-Karp as an AP-MDM edit process ending in a minimum cut (PAPER.md §3.3).

* ``run --nodes N --seed S [--trace FILE] [--json]`` -- generate one instance, run the process, check the
  certificates (no s-t path left; #deleted edges == max-flow value by two networkx algorithms; the deleted edges
  are the edges leaving s's side); exit 0 certified, 1 a certificate failed, 2 an impossible request or an
  unwritable ``--trace`` path (checked before the run).
* ``table [--sizes 4-10] [--count N] [--seed S] [--json]`` -- per size: instances, certified, steps, peak length,
  ARM edit-log tokens.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from machines.io import check_writable
from machines.trace import write_trace
from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    pos_int,
    progress,
    stdout_console,
)
from proofs_check.errors import UsageError
from proofs_check.inputs import add_time_flag, check_seconds, strict_int
from proofs_check.parallel import add_workers_flag, map_items
from reductions.tasks.arm_view import arm_view
from reductions.tasks.maxflow import FLOW_VOCAB, M, encode_instance, run_maxflow, transitions, verify_run
from reductions.tasks.maxflow_graph import generate_instance, max_flow_values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("maxflow", help="max-flow / min-cut as an AP-MDM edit process (run, table)")
    ss = p.add_subparsers(dest="maxflow_command", metavar="WHAT")
    p.set_defaults(func=_missing)

    r = ss.add_parser("run", help="run the process on one generated instance and check its certificates")
    r.add_argument("--nodes", type=pos_int, default=6, help="number of nodes, 2..15 (default 6)")
    r.add_argument("--edges", type=pos_int, default=None, help="initial random edges (default U[20,30], capped)")
    r.add_argument("--trace", metavar="FILE", help="write the AP-MDM trace (JSONL; replay with powergen trace replay)")
    r.add_argument("--html", metavar="FILE", help="write a self-contained HTML page that plays the run")
    add_seed_flag(r)
    add_json_flag(r)
    r.set_defaults(func=run_one)

    t = ss.add_parser("table", help="sizes vs steps vs length, with certificates, over random instances")
    t.add_argument("--sizes", type=_sizes, default=(4, 10), metavar="LO-HI", help="node counts (default 4-10)")
    t.add_argument("--count", type=pos_int, default=50, help="instances per size (default 50)")
    add_time_flag(t)
    add_seed_flag(t)
    add_workers_flag(t)
    add_json_flag(t)
    t.set_defaults(func=run_table)


#: seconds per instance of the table (run, certificates, two networkx max-flows), measured 0.06 s at 4..10 nodes,
#: rounded up
SECONDS_PER_INSTANCE = 0.15


def _missing(args: argparse.Namespace) -> int:
    raise UsageError("maxflow: a sub-command is required (run or table)")


def _sizes(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    try:
        a, b = strict_int(lo), strict_int(hi or lo)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected LO-HI (e.g. 4-10), got {text!r}") from None
    if not 2 <= a <= b <= 15:
        raise argparse.ArgumentTypeError(f"sizes must satisfy 2 <= LO <= HI <= 15, got {text!r}")
    return a, b


def _summary(nodes: int, seed: int, edges: int | None = None) -> dict[str, Any]:
    inst = generate_instance(nodes=nodes, seed=seed, edges=edges)
    run = run_maxflow(inst)
    problems = verify_run(run)
    ek, pp = max_flow_values(inst)
    arm = arm_view(encode_instance(inst), transitions(run), mask_id=M)
    return {"instance": inst.to_json(), "max_flow": {"edmonds_karp": ek, "preflow_push": pp},
            "augmentations": run.augmentations, "deleted": [list(e) for e in run.deleted], "steps": run.steps,
            "peak_length": run.counters.peak_length, "start_length": int(encode_instance(inst).shape[0]),
            "halt": run.halt_reason, "arm": arm.to_json(), "problems": problems, "certified": not problems,
            "_run": run}


def _table_doc(item: tuple[int, int]) -> dict[str, Any]:
    d = _summary(*item)
    d.pop("_run")
    return d


def run_one(args: argparse.Namespace) -> int:
    if args.trace:
        check_writable(args.trace)  # an unwritable path is refused before the run
    if args.html:
        check_writable(args.html)
    doc = _summary(args.nodes, args.seed, args.edges)
    run = doc.pop("_run")
    if args.html:
        from proofs_check.viewer.hooks import flow_page
        flow_page(args.html, run)
    if args.trace:
        write_trace(args.trace, paradigm="ap-mdm", vocab=FLOW_VOCAB, records=run.records, halt_reason=run.halt_reason,
                    start=encode_instance(generate_instance(nodes=args.nodes, seed=args.seed, edges=args.edges)))
    doc = {"schema": "powergen.maxflow.run/1", "nodes": args.nodes, "seed": args.seed, **doc, "trace": args.trace}
    if args.json:
        emit_json(doc)
    else:
        inst = doc["instance"]
        con = stdout_console()
        con.print(f"graph: {len(inst['nodes'])} nodes {inst['nodes']}, {len(inst['edges'])} edges, s={inst['s']}, "
                  f"t={inst['t']}")
        con.print(f"max-flow: edmonds_karp {doc['max_flow']['edmonds_karp']}, preflow_push "
                  f"{doc['max_flow']['preflow_push']}; the process augmented {doc['augmentations']} times and "
                  f"deleted {len(doc['deleted'])} edges {doc['deleted']}")
        con.print(f"AP-MDM steps {doc['steps']}, length {doc['start_length']} -> peak {doc['peak_length']}; "
                  f"ARM edit log {doc['arm']['arm_edit_tokens']} tokens")
        con.print("certificates hold: no s-t path left, the deleted edges are a minimum cut" if doc["certified"]
                  else "CERTIFICATE FAILED: " + "; ".join(doc["problems"]))
        if args.trace:
            con.print(f"trace written to {args.trace}")
    return EXIT_OK if doc["certified"] else EXIT_FAILED


def table_rows(lo: int, hi: int, count: int, seed: int, *, show_progress: bool = False, workers: int = 1
               ) -> list[dict[str, Any]]:
    """One row per size; instance ``k`` of size ``n`` uses seed ``seed * 1_000_003 + 1000 * n + k`` (seeded per
    instance, so the rows are the same for any ``workers``)."""
    rows = []
    with progress(show_progress, "max-flow instances", (hi - lo + 1) * count) as advance:
        for n in range(lo, hi + 1):
            docs = []
            for d in map_items(_table_doc, [(n, seed * 1_000_003 + 1000 * n + k) for k in range(count)], workers):
                docs.append(d)
                advance()
            rows.append({"nodes": n, "instances": count, "certified": sum(d["certified"] for d in docs),
                         "mean_flow": round(sum(len(d["deleted"]) for d in docs) / count, 2),
                         "mean_steps": round(sum(d["steps"] for d in docs) / count, 1),
                         "max_steps": max(d["steps"] for d in docs),
                         "mean_peak_length": round(sum(d["peak_length"] for d in docs) / count, 1),
                         "max_peak_length": max(d["peak_length"] for d in docs),
                         "mean_arm_edit_tokens": round(sum(d["arm"]["arm_edit_tokens"] for d in docs) / count, 1)})
    return rows


def run_table(args: argparse.Namespace) -> int:
    lo, hi = args.sizes
    check_seconds(args, SECONDS_PER_INSTANCE * (hi - lo + 1) * args.count,
                  f"{(hi - lo + 1) * args.count} max-flow instances")
    rows = table_rows(lo, hi, args.count, args.seed, show_progress=not args.json, workers=args.workers)
    ok = all(r["certified"] == r["instances"] for r in rows)
    if args.json:
        emit_json({"schema": "powergen.maxflow.table/1", "seed": args.seed, "count": args.count, "rows": rows,
                   "all_certified": ok})
    else:
        tab = Table(title=f"max-flow as AP-MDM ({args.count} instances per size, seed {args.seed})",
                    caption="flow, steps, length (peak sequence length) and ARM (edit-log tokens of the same "
                            "trajectory) are means; 'max' is the largest value of the column to its left")
        for col in ("nodes", "certified", "flow", "steps", "max", "length", "max", "ARM"):
            tab.add_column(col)
        for r in rows:
            tab.add_row(str(r["nodes"]), f"{r['certified']}/{r['instances']}", str(r["mean_flow"]),
                        str(r["mean_steps"]), str(r["max_steps"]), str(r["mean_peak_length"]),
                        str(r["max_peak_length"]), str(r["mean_arm_edit_tokens"]))
        stdout_console().print(tab)
    return EXIT_OK if ok else EXIT_FAILED
