"""``powergen tour``: every machine and theorem at small sizes, ending in one table."""

from __future__ import annotations

import argparse

from rich.table import Table

from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    stderr_console,
    stdout_console,
)
from proofs_check.tour import run_tour


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tour", help="run one small demonstration of every machine and theorem")
    add_json_flag(p)
    add_seed_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    err = stderr_console()
    show = (lambda title: err.print(f"[dim]running: {title}[/dim]")) if not args.json and err.is_terminal else None
    sections = list(run_tour(args.seed, on_section=show))
    rows = [(title, row) for title, rs in sections for row in rs]
    ok = all(row.status == "ok" for _, row in rows)
    if args.json:
        emit_json({"schema": "powergen.tour/1", "seed": args.seed,
                   "rows": [dict(section=t, **r.to_json()) for t, r in rows], "ok": ok})
    else:
        table = Table(title="powergen tour")
        for col in ("section", "claim", "measured", "bound", "status"):
            table.add_column(col)
        for title, section_rows in sections:
            for i, row in enumerate(section_rows):
                style = "green" if row.status == "ok" else "bold red"
                table.add_row(title if i == 0 else "", row.claim, row.measured, row.bound,
                              f"[{style}]{row.status}[/{style}]", end_section=i == len(section_rows) - 1)
        console = stdout_console()
        if not console.is_terminal:
            console.width = 160
        console.print(table)
        status = "all claims hold" if ok else "SOME CLAIMS FAILED"
        console.print(f"{len(rows)} claims in {len(sections)} sections: {status}")
    return EXIT_OK if ok else EXIT_FAILED
