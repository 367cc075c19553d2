#!/usr/bin/env python3
"""Plot the counts of a ``powergen check ... --json`` report against their bounds (one PNG).

Usage::

    powergen check thm4 --json > docs/_static/data/thm4.json
    python scripts/plot_check.py docs/_static/data/thm4.json -o docs/_static/plots/thm4.png

The input is one ``powergen.check/1`` object: ``{"schema", "claim", "points": [{"params", "measured", "bounds",
"ok"}], "ok"}`` (``-`` reads stdin).  For every measured quantity that has a bound with the same key, the script
draws the measured values (solid, markers) and the bound (dashed) against a parameter (``--x``, default ``n``),
one panel per quantity and one colour per group (``--group``, default ``program``).  Points that failed their check
are circled in red.  Bounds are read as numbers (``"12"``, ``"7/2"``, ``"1.5e3"``); a bound that is not a number
(a formula string) is left out of the plot and reported on stderr.

Needs matplotlib (the ``plot`` extra: ``pip install -e ".[plot]"``), set up like every figure of powergen by
:mod:`proofs_check.figures` (headless backend, ``EXPERIMENT_FIGURE``: 110 dpi, no software tag, written atomically).
The output is deterministic for a given input (no timestamps in the PNG metadata).

Exit codes: 0 written, 2 bad input or an output that cannot be written (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from proofs_check.errors import UsageError

SCHEMA = "powergen.check/1"


class PlotInputError(ValueError):
    """The report cannot be plotted (the message says why)."""


def as_number(value: Any) -> float | None:
    """A measured or bound value as a float, or ``None`` when it is not a number.

    Examples
    --------
    >>> as_number(3), as_number("7/2"), as_number("1.5e3"), as_number("3*n + 2"), as_number(True)
    (3.0, 3.5, 1500.0, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(Fraction(text))
        except (ValueError, ZeroDivisionError):
            try:
                return float(text)
            except ValueError:
                return None
    return None


def load_report(text: str, source: str) -> dict[str, Any]:
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlotInputError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(report, dict) or not isinstance(report.get("points"), list):
        raise PlotInputError(f"{source} is not a check report: expected an object with a 'points' list")
    if report.get("schema") != SCHEMA:
        raise PlotInputError(f"{source} has schema {report.get('schema')!r}, expected {SCHEMA!r}")
    if not report["points"]:
        raise PlotInputError(f"{source} has no points to plot")
    return report


def series(report: dict[str, Any], *, x: str, ys: Sequence[str] | None, group: str
           ) -> tuple[dict[str, dict[str, list[tuple[float, float | None, float | None, bool]]]], list[str]]:
    """``{quantity: {group: [(x, measured, bound, ok), ...]}}`` sorted by x, and the notes about skipped data.

    Examples
    --------
    >>> rep = {"points": [{"params": {"n": 4, "program": "p"}, "measured": {"steps": 5}, "bounds": {"steps": "6"},
    ...                    "ok": True}]}
    >>> series(rep, x="n", ys=None, group="program")[0]
    {'steps': {'p': [(4.0, 5.0, 6.0, True)]}}
    """
    notes: list[str] = []
    out: dict[str, dict[str, list[tuple[float, float | None, float | None, bool]]]] = {}
    for i, point in enumerate(report["points"]):
        params = point.get("params", {}) or {}
        measured = point.get("measured", {}) or {}
        bounds = point.get("bounds", {}) or {}
        xv = as_number(params.get(x, measured.get(x)))
        if xv is None:
            raise PlotInputError(f"point {i} has no numeric {x!r} in params or measured (use --x)")
        keys = list(ys) if ys else [k for k in measured if k in bounds]
        for key in keys:
            if key not in measured:
                notes.append(f"point {i}: no measured {key!r}")
                continue
            mv, bv = as_number(measured[key]), as_number(bounds.get(key))
            if key in bounds and bv is None:
                notes.append(f"point {i}: bound of {key!r} is not a number ({bounds[key]!r}); not drawn")
            g = str(params.get(group, "")) if group else ""
            out.setdefault(key, {}).setdefault(g, []).append((xv, mv, bv, bool(point.get("ok", True))))
    if not out:
        raise PlotInputError("no measured quantity has a bound with the same key (name them with --y)")
    for by_group in out.values():
        for rows in by_group.values():
            rows.sort(key=lambda r: r[0])
    return out, notes


def plot(report: dict[str, Any], out_path: Path, *, x: str, ys: Sequence[str] | None, group: str,
         logx: bool, logy: bool, title: str | None) -> list[str]:
    from machines.errors import OutputError
    from proofs_check.figures import EXPERIMENT_FIGURE, pyplot, save_figure

    plt = pyplot()
    data, notes = series(report, x=x, ys=ys, group=group)
    quantities = list(data)
    cols = min(3, len(quantities))
    rows = math.ceil(len(quantities) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False, layout="constrained")
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    for ax, q in zip(axes.flat, quantities, strict=False):
        many = len(data[q]) > 6  # too many groups for a legend entry each: one generic legend instead
        for gi, (g, pts) in enumerate(sorted(data[q].items())):
            colour = colours[gi % len(colours)]
            label = None if many else (g or q)
            xs = [p[0] for p in pts if p[1] is not None]
            ms = [p[1] for p in pts if p[1] is not None]
            ax.plot(xs, ms, "o-", color=colour, label=label and f"{label}: measured", markersize=4)
            bx = [p[0] for p in pts if p[2] is not None]
            bs = [p[2] for p in pts if p[2] is not None]
            if bs:
                ax.plot(bx, bs, "_--", color=colour, markersize=12, label=label and f"{label}: bound", linewidth=1.2)
            bad = [(p[0], p[1]) for p in pts if not p[3] and p[1] is not None]
            if bad:
                ax.plot([b[0] for b in bad], [b[1] for b in bad], "o", markersize=10, markerfacecolor="none",
                        markeredgecolor="red", label="check failed" if gi == 0 else None)
        ax.set_title(q)
        ax.set_xlabel(x)
        if logx:
            ax.set_xscale("log", base=2)
        if logy:
            ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        if many:
            ax.legend(handles=[plt.Line2D([], [], color="grey", marker="o",  # pyplot re-exports Line2D
                                          label=f"measured ({len(data[q])} {group}s)"),
                               plt.Line2D([], [], color="grey", linestyle="--", label="bound")], fontsize=7)
        else:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(quantities):]:
        ax.axis("off")
    status = "all points ok" if report.get("ok") else "some points FAILED"
    fig.suptitle(title or f"powergen check {report.get('claim', '?')}: measured vs bound ({status})")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        save_figure(plt, fig, out_path, **EXPERIMENT_FIGURE)
    except OutputError as exc:  # machines.io: the file cannot be written (a directory, no permission, disk full)
        raise PlotInputError(str(exc)) from None
    except OSError as exc:  # the folder cannot be made (a file is in the way, no permission)
        plt.close(fig)
        raise PlotInputError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    return notes


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plot_check.py", description=__doc__.split("\n\n", 1)[0])
    p.add_argument("report", help="a `powergen check ... --json` output file, or - for stdin")
    p.add_argument("-o", "--out", required=True, help="the PNG file to write")
    p.add_argument("--x", default="n", help="parameter on the x axis (default n)")
    p.add_argument("--y", action="append", help="a measured quantity to plot (repeatable; default: every measured "
                   "quantity with a bound of the same key)")
    p.add_argument("--group", default="program", help="parameter that separates lines (default program; '' for "
                   "none)")
    p.add_argument("--logx", action=argparse.BooleanOptionalAction, default=True, help="log2 x axis (default on)")
    p.add_argument("--logy", action=argparse.BooleanOptionalAction, default=True, help="log y axis (default on)")
    p.add_argument("--title", help="figure title")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.report == "-":
            text, source = sys.stdin.read(), "stdin"
        else:
            path = Path(args.report)
            try:
                text, source = path.read_text(encoding="utf-8"), str(path)
            except OSError as exc:
                raise PlotInputError(f"cannot read {path}: {exc.strerror or exc}") from None
        report = load_report(text, source)
        notes = plot(report, Path(args.out), x=args.x, ys=args.y, group=args.group, logx=args.logx,
                     logy=args.logy, title=args.title)
    except PlotInputError as exc:
        print(f"plot_check: error: {exc}", file=sys.stderr)
        return 2
    except UsageError:  # proofs_check.figures.pyplot: matplotlib is not installed
        print("plot_check: error: matplotlib is needed (pip install -e '.[plot]')", file=sys.stderr)
        return 2
    for note in notes[:10]:
        print(f"plot_check: note: {note}", file=sys.stderr)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
