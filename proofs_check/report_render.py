"""Shared face of every ``powergen check X`` command: one table layout, one JSON layout, one exit-code rule.

``columns`` name what to show for each :class:`~proofs_check.claims.CheckPoint`: a bare key is looked up in the
point's ``params``, then ``measured``, then ``bounds``; a ``(header, "measured.steps")`` pair picks a header and an
explicit section (``params``, ``measured``, ``bounds``).  An ``ok`` column is always appended.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from proofs_check.claims import CheckPoint, CheckReport
from proofs_check.cli_common import EXIT_FAILED, EXIT_OK, emit_json, stdout_console

__all__ = ["Column", "cell", "finish", "finish_sections", "print_failing", "render_report"]

Column = str | tuple[str, str]
_SECTIONS = ("params", "measured", "bounds")


def cell(point: CheckPoint, key: str) -> str:
    """The text of ``key`` (``"n"`` or ``"measured.steps"``) for ``point``; ``""`` when absent.

    Examples
    --------
    >>> p = CheckPoint({"n": 8}, {"steps": 5}, {"steps": "6"}, True)
    >>> cell(p, "n"), cell(p, "bounds.steps"), cell(p, "steps"), cell(p, "zzz")
    ('8', '6', '5', '')
    """
    if "." in key:
        section, name = key.split(".", 1)
        if section in _SECTIONS:
            value = getattr(point, section).get(name)
            return "" if value is None else str(value)
    for section in _SECTIONS:
        d = getattr(point, section)
        if key in d:
            return str(d[key])
    return ""


def render_report(report: CheckReport, columns: Sequence[Column], *, title: str | None = None) -> Table:
    """A rich Table with one row per point and a final ``ok`` column (FAIL rows in red).

    Examples
    --------
    >>> r = CheckReport("demo", (CheckPoint({"n": 2}, {"steps": 3}, {"steps": "3"}, True),), True)
    >>> render_report(r, ["n", "steps", ("bound", "bounds.steps")]).row_count
    1
    """
    table = Table(title=title or f"claim {report.claim}")
    keys: list[str] = []
    for col in columns:
        header, key = (col, col) if isinstance(col, str) else col
        texts = [cell(p, key) for p in report.points]
        if key in ("program", "params.program"):
            table.add_column(header, no_wrap=True, min_width=max([len(header), *map(len, texts)]))
        else:
            table.add_column(header, justify="right")
        keys.append(key)
    table.add_column("ok")
    for p in report.points:
        status = "[green]ok[/green]" if p.ok else "[bold red]FAIL[/bold red]"
        table.add_row(*[cell(p, k) for k in keys], status)
    return table


def finish(report: CheckReport, args: argparse.Namespace, columns: Sequence[Column] | None = None, *,
           title: str | None = None, notes: Sequence[str] = ()) -> int:
    """Print ``report`` (a table plus ``notes`` lines, or one JSON object with ``--json``); return the exit code.

    With no ``columns``, every params key, then every measured key, then every bound is shown.
    """
    doc = report.to_json()  # names the failed claims too ("failed"), for both faces
    if getattr(args, "json", False):
        emit_json(doc)
    else:
        cols: Sequence[Column] = columns if columns is not None else _default_columns(report)
        console = stdout_console()
        if not console.is_terminal:  # a pipe or file: do not squeeze the table into 80 columns
            console = Console(file=sys.stdout, soft_wrap=True, width=160)
        console.print(render_report(report, cols, title=title))
        for line in notes:
            console.print(line)
        verdict = "[green]all points ok[/green]" if report.ok else "[bold red]some points FAILED[/bold red]"
        failed = sum(1 for p in report.points if not p.ok)
        console.print(f"{verdict} ({len(report.points) - failed}/{len(report.points)} points)")
        print_failing(console, doc.get("failed", ()))
    return EXIT_OK if report.ok else EXIT_FAILED


def print_failing(console: Console, failing: Sequence[str]) -> None:
    """Name every failed claim under a red verdict (nothing when there is none)."""
    if failing:
        console.print("[bold red]failed:[/bold red] " + "; ".join(failing), markup=True, highlight=False)


def finish_sections(sections: Sequence[tuple[str, CheckReport]], args: argparse.Namespace,
                    columns: Mapping[str, Sequence[Column]], *, notes: Sequence[str] = ()) -> int:
    """Like :func:`finish` for a check made of several reports (``(title, report)`` pairs).

    With ``--json`` the first report is the document and the others go under ``"sections"`` (keyed by claim id);
    ``"ok"`` is the conjunction of all of them.
    """
    ok = all(r.ok for _, r in sections)
    failing = [f for _, r in sections for f in r.failing_claims()]
    if getattr(args, "json", False):
        doc: dict[str, Any] = sections[0][1].to_json()
        doc["ok"] = ok
        doc["sections"] = {r.claim: r.to_json() for _, r in sections[1:]}
        if failing:
            doc["failed"] = failing
        emit_json(doc)
        return EXIT_OK if ok else EXIT_FAILED
    console = stdout_console()
    if not console.is_terminal:
        console = Console(file=sys.stdout, soft_wrap=True, width=160)
    for title, rep in sections:
        console.print(render_report(rep, columns[rep.claim], title=title))
    for line in notes:
        console.print(line)
    total = sum(len(r.points) for _, r in sections)
    failed = sum(1 for _, r in sections for p in r.points if not p.ok)
    verdict = "[green]all points ok[/green]" if ok else "[bold red]some points FAILED[/bold red]"
    console.print(f"{verdict} ({total - failed}/{total} points in {len(sections)} sections)")
    print_failing(console, failing)
    return EXIT_OK if ok else EXIT_FAILED


def _default_columns(report: CheckReport) -> list[Column]:
    seen: dict[str, Any] = {}
    for p in report.points:
        for section in _SECTIONS:
            for k in getattr(p, section):
                seen.setdefault(f"{section}.{k}", None)
    return [(k.split(".", 1)[1] if not k.startswith("bounds.") else "bound " + k.split(".", 1)[1], k) for k in seen]
