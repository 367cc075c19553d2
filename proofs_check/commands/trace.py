"""``powergen trace replay FILE`` and ``powergen trace show FILE``: check or display a machine trace (JSONL).

Exit codes of ``replay``: 0 every step holds, 1 a step (or the halt line) does not -- the first one is named, 2 the
file is malformed (bad JSON, unknown token, wrong lengths, missing header or halt line).
"""

from __future__ import annotations

import argparse

from rich.text import Text

from machines.trace import open_trace, replay_file
from machines.trace_render import OPERATIONS, step_operations
from proofs_check.cliutil import EXIT_FAILED, EXIT_OK, add_json_flag, emit_json, stdout_console

GROUP = "trace"

STYLES = {"keep": "", "unmask": "bold green", "append": "bold green", "remask": "bold red", "keep-mask": "dim",
          "insert": "bold cyan", "delete": "magenta strike"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="re-apply g and each paradigm's discipline to every step of a trace")
    p.add_argument("file", metavar="FILE", help="a powergen.trace/1 JSONL file")
    add_json_flag(p)
    p.set_defaults(func=run_replay)
    s = sub.add_parser("show", help="render the steps of a trace, one colour per operation")
    s.add_argument("file", metavar="FILE", help="a powergen.trace/1 JSONL file")
    add_json_flag(s)
    s.set_defaults(func=run_show)


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
    vocab = trace.vocab
    steps = [(rec.t, step_operations(trace.paradigm, rec.x, rec.prediction, mask_id=vocab.mask_id))
             for rec in trace.records()]
    if args.json:
        emit_json({"schema": "powergen.trace-show/1", "paradigm": trace.paradigm, "halt": trace.halt_reason,
                   "steps": [{"t": t, "ops": [[op, vocab.name_of(tok)] for op, tok in ops]} for t, ops in steps]})
        return EXIT_OK
    con = stdout_console()
    legend = Text("operations: ")
    for op in OPERATIONS:
        legend.append(op, style=STYLES[op] or "default")
        legend.append("  ")
    con.print(Text(f"{trace.paradigm} trace, {len(steps)} steps, halt '{trace.halt_reason}'", style="bold"))
    con.print(legend)
    width = len(str(len(steps)))
    for t, ops in steps:
        line = Text(f"{t:>{width}} ")
        for op, tok in ops:
            name = vocab.name_of(tok)
            line.append(("+" if op == "insert" else "") + name, style=STYLES[op])
            line.append(" ")
        con.print(line)
    return EXIT_OK
