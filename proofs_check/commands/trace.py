"""``powergen trace replay FILE``, ``powergen trace show FILE`` and ``powergen trace html FILE -o PAGE``: check,
display or turn into a self-contained HTML page a machine trace (JSONL).

Exit codes of ``replay``: 0 every step holds, 1 a step (or the halt line) does not -- the first one is named, 2 the
file is malformed (bad JSON, unknown token, wrong lengths, missing header or halt line).
"""

from __future__ import annotations

import argparse

from machines.trace import open_trace, replay_file
from machines.trace_render import step_operations
from proofs_check.cli_common import EXIT_FAILED, EXIT_OK, add_json_flag, emit_json, stdout_console
from proofs_check.viewer.terminal import HELP_MARKERS, parse_steps, select_steps, show_trace

GROUP = "trace"
VIEW_HELP = "grid (Sudoku), graph (max-flow) or tokens; default: the one that fits the trace"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="re-apply g and each paradigm's discipline to every step of a trace")
    p.add_argument("file", metavar="FILE", help="a powergen.trace/1 JSONL file")
    add_json_flag(p)
    p.set_defaults(func=run_replay)
    s = sub.add_parser("show", help="render the steps of a trace (token lines, Sudoku grid or max-flow table)",
                       epilog=HELP_MARKERS)
    s.add_argument("file", metavar="FILE", help="a powergen.trace/1 JSONL file")
    s.add_argument("--steps", metavar="A:B", help="only steps A..B (inclusive; A:, :B or N; step 0 is the start)")
    s.add_argument("--view", choices=("grid", "graph", "tokens"), default=None, help=VIEW_HELP)
    add_json_flag(s)
    s.set_defaults(func=run_show)
    h = sub.add_parser("html", help="write a self-contained HTML page (no network) that plays a trace")
    h.add_argument("file", metavar="FILE", help="a powergen.trace/1 JSONL file")
    h.add_argument("-o", "--output", metavar="PAGE", required=True, help="the HTML file to write (atomically)")
    h.add_argument("--view", choices=("grid", "graph", "tokens"), default=None, help=VIEW_HELP)
    h.add_argument("--title", default=None, help="the page title (default: the trace's file name)")
    h.set_defaults(func=run_html)


def run_replay(args: argparse.Namespace) -> int:
    trace, rep = replay_file(args.file)  # streamed: O(one step) memory for a trace of any length
    if args.json:
        emit_json({"schema": "powergen.trace-replay/1", "file": args.file, "paradigm": trace.paradigm,
                   "halt": trace.halt_reason, "ok": rep.ok, "steps": rep.steps, "first_bad_step": rep.first_bad_step,
                   "reason": rep.reason})
    else:
        con = stdout_console()
        if rep.ok:
            con.print(f"[green]ok[/green]: {rep.steps} {trace.paradigm} steps replayed, halt '{trace.halt_reason}'")
        else:
            where = f"step {rep.first_bad_step}" if rep.first_bad_step is not None else "halt line"
            con.print(f"[bold red]FAILED[/bold red] at {where}: {rep.reason}", markup=True, highlight=False)
    return EXIT_OK if rep.ok else EXIT_FAILED


def run_show(args: argparse.Namespace) -> int:
    trace = open_trace(args.file)
    if args.json:
        lo, hi = parse_steps(args.steps)
        vocab = trace.vocab
        steps = [(rec.t, step_operations(trace.paradigm, rec.x, rec.prediction, mask_id=vocab.mask_id))
                 for rec in select_steps(trace.records(), lo, hi)]
        emit_json({"schema": "powergen.trace-show/1", "paradigm": trace.paradigm, "halt": trace.halt_reason,
                   "steps": [{"t": t, "ops": [[op, vocab.name_of(tok)] for op, tok in ops]} for t, ops in steps]})
        return EXIT_OK
    return show_trace(stdout_console(), trace, steps=args.steps, view=args.view)


def run_html(args: argparse.Namespace) -> int:
    from proofs_check.viewer.hooks import check_html_path, trace_file_page

    check_html_path(args.output)
    size = trace_file_page(args.file, args.output, view=args.view, title=args.title)
    stdout_console().print(f"page written to {args.output} ({size} bytes)")
    return EXIT_OK
