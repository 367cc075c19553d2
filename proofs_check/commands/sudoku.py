"""``powergen sudoku solve | generate | table``: Sudoku as an exact AP-MDM process (PAPER.md §3.1).

* ``solve PUZZLE [--trace FILE [--max-trace-steps N]] [--json]`` -- run the MRV search as a remask/unmask
  trajectory; exit 0 solved and validated, 1 when the search exhausts (no solution) or validation fails, 2 for a
  malformed puzzle, an unwritable ``--trace`` path (checked before the search) or a run over ``--max-steps`` (or,
  with ``--trace``, over ``--max-trace-steps``: a trace takes about 10.6 kB per step, so the default 20000 steps
  bound it near 212 MB).
* ``generate --count N --givens G --seed S`` -- unique-solution puzzles, one per line.
* ``dataset --split train|test --seed S --out FILE [--count N] [--json]`` -- the seeded training/test puzzle files
  of :mod:`reductions.tasks.sudoku_dataset`, byte-identical for the same arguments; progress on stderr, one line
  per puzzle; resumable (finished lines are kept in ``FILE.partial`` until the file is complete).
* ``table [--file F | --famous | --count N --seed S --givens G] [--json]`` -- givens, backtracks, AP-MDM steps,
  context (constant 324), the ARM edit-log tokens of the same trajectory, and the independent validator's verdict.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from rich.table import Table

from machines.io import check_writable
from machines.trace import iter_records_from_transitions, write_trace
from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    nonneg_int,
    pos_int,
    progress,
    stdout_console,
)
from proofs_check.errors import UsageError
from proofs_check.inputs import add_time_flag, check_seconds
from proofs_check.parallel import add_workers_flag, map_items
from reductions.errors import InstanceTooLarge
from reductions.tasks.arm_view import arm_view_states
from reductions.tasks.sudoku import final_is_fixed_point, iter_transitions, solve, verify_trajectory
from reductions.tasks.sudoku_generate import generate_puzzles
from reductions.tasks.sudoku_grid import (
    SUDOKU_VOCAB,
    famous_puzzles,
    format_grid,
    parse_puzzle,
    read_puzzle_file,
    solution_problems,
)

#: seconds per AP-MDM step of the MRV search, measured on the famous puzzles (7e-5), rounded up
SECONDS_PER_STEP = 1e-4
#: default --max-steps of solve and (in all) of table: about 20 s at SECONDS_PER_STEP and about 0.9 GB of states
#: (4.4 kB per step, measured), so within --max-seconds
DEFAULT_MAX_STEPS = 200_000
#: seconds per generated puzzle: one attempt (about 0.05 s at 26+ givens) or, with few givens or a backtrack
#: window, up to the generator's 200 attempts
SECONDS_PER_PUZZLE, SECONDS_PER_HARD_PUZZLE, EASY_GIVENS = 0.1, 20.0, 24
TRACE_BYTES_PER_STEP = 10_600  # measured: 10.4-10.6 kB of JSONL per 324-token AP-MDM step (Escargot, Golden Nugget)
DEFAULT_MAX_TRACE_STEPS = 20_000
BUCKETS = ((0, 0), (1, 3), (4, 15), (16, 63), (64, 255), (256, 10**12))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sudoku", help="Sudoku as an AP-MDM backtracking process (solve, generate, table)")
    ss = p.add_subparsers(dest="sudoku_command", metavar="WHAT")
    p.set_defaults(func=_missing)

    s = ss.add_parser("solve", help="solve one puzzle by the MRV search written as AP-MDM steps")
    s.add_argument("puzzle", metavar="PUZZLE", help="81 characters: digits, 0 or '.' for blanks")
    s.add_argument("--trace", metavar="FILE", help="write the AP-MDM trace (JSONL; replay with powergen trace replay)")
    s.add_argument("--max-steps", type=pos_int, default=DEFAULT_MAX_STEPS,
                   help=f"cap on AP-MDM steps (default {DEFAULT_MAX_STEPS}; checked during the search)")
    add_time_flag(s)
    s.add_argument("--max-trace-steps", type=pos_int, default=DEFAULT_MAX_TRACE_STEPS,
                   help=f"with --trace: refuse runs longer than this (about {TRACE_BYTES_PER_STEP / 1000:.1f} kB of "
                        f"trace per step; default {DEFAULT_MAX_TRACE_STEPS})")
    s.add_argument("--html", metavar="FILE", help="write a self-contained HTML page that plays the run")
    s.add_argument("--model", metavar="shipped|PATH", default=None,
                   help="run a learned AP-MDM instead of the oracle (shipped weights, a run directory or a weights "
                        "file); every step through g, compared with the oracle's trajectory")
    add_json_flag(s)
    s.set_defaults(func=run_solve)

    g = ss.add_parser("generate", help="generate unique-solution puzzles (seeded)")
    g.add_argument("--count", type=pos_int, default=1, help="number of puzzles (default 1)")
    g.add_argument("--givens", type=pos_int, default=30, help="givens per puzzle, 17..81 (default 30)")
    g.add_argument("--min-backtracks", type=nonneg_int, default=0, help="least backtracks of the MRV search")
    g.add_argument("--max-backtracks", type=nonneg_int, default=None, help="most backtracks of the MRV search")
    add_time_flag(g)
    add_seed_flag(g)
    add_json_flag(g)
    g.set_defaults(func=run_generate)

    d = ss.add_parser("dataset", help="the seeded training (hard, 100) or test (1,000) puzzle file")
    d.add_argument("--split", choices=("train", "test"), required=True, help="which split")
    d.add_argument("--count", type=pos_int, default=None, help="puzzles (default 100 train, 1000 test)")
    d.add_argument("--out", metavar="FILE", required=True, help="output file, one 81-character puzzle per line")
    add_seed_flag(d)
    add_json_flag(d)
    d.set_defaults(func=run_dataset)

    t = ss.add_parser("table", help="steps vs backtracks at a constant context, over a set of puzzles")
    src = t.add_mutually_exclusive_group()
    src.add_argument("--file", metavar="F", help="puzzle file, one per line (PUZZLE [label])")
    src.add_argument("--famous", action="store_true", help="the famous hard puzzles shipped with powergen")
    t.add_argument("--count", type=pos_int, default=20, help="generated puzzles when no file is given (default 20)")
    t.add_argument("--givens", type=pos_int, default=26, help="givens of generated puzzles (default 26)")
    t.add_argument("--max-steps", type=pos_int, default=DEFAULT_MAX_STEPS,
                   help=f"cap on the AP-MDM steps of all puzzles together (default {DEFAULT_MAX_STEPS})")
    add_time_flag(t)
    add_seed_flag(t)
    add_workers_flag(t)
    add_json_flag(t)
    t.set_defaults(func=run_table)


def _missing(args: argparse.Namespace) -> int:
    raise UsageError("sudoku: a sub-command is required (solve, generate or table)")


def _solve_capped(args: argparse.Namespace) -> Any:
    """solve() under --max-steps (and --max-trace-steps with --trace); a cap error names the CLI flag to raise."""
    trace_cap = args.max_trace_steps if args.trace else None
    cap = args.max_steps if trace_cap is None else min(args.max_steps, trace_cap)
    try:
        return solve(args.puzzle, max_steps=cap)
    except InstanceTooLarge as exc:
        if trace_cap is not None and trace_cap <= args.max_steps:
            raise InstanceTooLarge(
                quantity=f"Sudoku trace steps (about {TRACE_BYTES_PER_STEP / 1000:.1f} kB of JSONL each)",
                needed=exc.needed, limit=trace_cap, hint="--max-trace-steps (or drop --trace)") from None
        raise InstanceTooLarge(quantity=exc.quantity, needed=exc.needed, limit=args.max_steps,
                               hint="--max-steps") from None


def generate_seconds(count: int, givens: int, window: bool) -> float:
    """Estimated seconds to generate ``count`` puzzles (worst case: every attempt of the generator fails)."""
    easy = givens >= EASY_GIVENS and not window
    return count * (SECONDS_PER_PUZZLE if easy else SECONDS_PER_HARD_PUZZLE)


def run_solve(args: argparse.Namespace) -> int:
    parse_puzzle(args.puzzle)  # a malformed puzzle is refused before any file system side effect
    if args.model is not None:
        if args.trace or args.html:
            raise UsageError("sudoku solve: --trace and --html show the oracle's run; drop them with --model")
        from proofs_check.experiments.sudoku_cli import run_solve_model

        return run_solve_model(args)
    check_seconds(args, args.max_steps * SECONDS_PER_STEP, f"a search of up to --max-steps {args.max_steps} steps")
    if args.trace:
        check_writable(args.trace)  # before the search, not after it
    if args.html:
        check_writable(args.html)
    traj = _solve_capped(args)
    if args.html:
        from proofs_check.viewer.hooks import sudoku_page
        sudoku_page(args.html, traj)
    problems = verify_trajectory(traj)
    if traj.solved and traj.solution is not None:
        problems += solution_problems(traj.puzzle, traj.solution)
    trace_bytes = None
    if args.trace:
        # the halt line claims a fixed point: check it with the sequence-only predictor and g before writing it
        if final_is_fixed_point(traj.states[-1]):
            write_trace(args.trace, paradigm="ap-mdm", vocab=SUDOKU_VOCAB, start=traj.states[0],
                        records=iter_records_from_transitions(iter_transitions(traj)), halt_reason="fixed-point")
            trace_bytes = os.path.getsize(args.trace)
        else:
            problems.append("the final state is not a fixed point of the predictor; no trace written")
    c = traj.counts
    doc: dict[str, Any] = {
        "schema": "powergen.sudoku.solve/1", "puzzle": format_grid(traj.puzzle),
        "givens": int((traj.puzzle > 0).sum()), "solved": traj.solved,
        "solution": format_grid(traj.solution) if traj.solution is not None else None,
        "assigns": c.assigns, "branches": c.branches, "contradictions": c.contradictions, "backtracks": c.backtracks,
        "max_depth": c.max_depth, "steps": traj.steps, "context": traj.context, "problems": problems,
        "trace": args.trace if trace_bytes is not None else None, "trace_bytes": trace_bytes}
    ok = traj.solved and not problems
    if args.json:
        emit_json(doc)
    else:
        con = stdout_console()
        if traj.solution is not None:
            sol = format_grid(traj.solution)
            con.print("\n".join(" ".join(sol[9 * r:9 * r + 9]) for r in range(9)))
        verdict = ("solved; the independent validator accepts it" if ok else
                   "FAILED: " + "; ".join(problems) if traj.solved or problems else
                   "no solution: the search exhausted every branch")
        con.print(f"{verdict}\ngivens {doc['givens']}, backtracks {c.backtracks}, branches {c.branches}, "
                  f"AP-MDM steps {traj.steps}, context {traj.context} tokens"
                  + (f"\ntrace written to {args.trace} ({trace_bytes} bytes)" if trace_bytes is not None else ""))
    return EXIT_OK if ok else EXIT_FAILED


def run_generate(args: argparse.Namespace) -> int:
    window = args.min_backtracks > 0 or args.max_backtracks is not None
    check_seconds(args, generate_seconds(args.count, args.givens, window), f"generating {args.count} puzzles")
    with progress(not args.json, "generating", args.count) as advance:
        puzzles = []
        for p in generate_puzzles(args.count, givens=args.givens, seed=args.seed,
                                  min_backtracks=args.min_backtracks, max_backtracks=args.max_backtracks):
            puzzles.append(p)
            advance()
    if args.json:
        emit_json({"schema": "powergen.sudoku.generate/1", "seed": args.seed, "givens": args.givens,
                   "puzzles": puzzles})
    else:
        print("\n".join(puzzles))
    return EXIT_OK


def run_dataset(args: argparse.Namespace) -> int:
    """Write a split; lines already in ``FILE.partial`` (a run stopped early, same arguments) are kept."""
    import sys
    import time

    from machines.io import atomic_write_text
    from reductions.tasks.sudoku_dataset import iter_split, split_stats, transitions_of

    count = args.count if args.count is not None else (100 if args.split == "train" else 1000)
    check_writable(args.out)
    part = args.out + ".partial"
    done: list[str] = []
    if os.path.exists(part):
        with open(part, encoding="utf-8") as fh:
            done = [line for line in fh.read().splitlines() if line][:count]
    t0 = time.process_time()
    with open(part, "w", encoding="utf-8") as fh:
        fh.write("".join(p + "\n" for p in done))
        fh.flush()
        for k, p in enumerate(iter_split(args.split, args.seed, count, start=len(done)), start=len(done)):
            fh.write(p + "\n")
            fh.flush()
            done.append(p)
            print(f"{args.split} {k + 1}/{count}: {81 - p.count('.')} givens, "
                  f"{transitions_of([0 if ch == '.' else int(ch) for ch in p])} transitions, "
                  f"{time.process_time() - t0:.1f} s CPU", file=sys.stderr, flush=True)
    text = "".join(p + "\n" for p in done)
    atomic_write_text(args.out, text)
    os.remove(part)
    if args.json:
        import hashlib

        emit_json({"schema": "powergen.sudoku.dataset/1", "split": args.split, "seed": args.seed, "count": count,
                   "out": args.out, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                   "cpu_seconds": round(time.process_time() - t0, 1), "stats": split_stats(done)})
    return EXIT_OK


def table_rows(items: list[tuple[str, Any]], *, show_progress: bool = False,
               max_steps: int = DEFAULT_MAX_STEPS, workers: int = 1) -> list[dict[str, Any]]:
    """One row per puzzle: label, givens, backtracks, steps, context, ARM edit tokens, valid.

    ``max_steps`` caps the AP-MDM steps of all puzzles together (:class:`InstanceTooLarge` naming ``--max-steps``):
    each puzzle is solved under the whole cap, and the running total is held against it in puzzle order, so the
    verdict and the rows are the same for any ``workers`` (puzzles solved on that many processes).
    """
    rows = []
    used = 0
    with progress(show_progress, "solving", len(items)) as advance:
        for label, row in zip((label for label, _ in items),
                              map_items(_table_row, [(label, grid, max_steps) for label, grid in items], workers),
                              strict=True):
            needed = used + (row["steps"] if isinstance(row, dict) else int(row))
            if not isinstance(row, dict) or needed > max_steps:
                raise InstanceTooLarge(quantity=f"the AP-MDM steps of the table (puzzle {label!s:.40})",
                                       needed=needed, limit=max_steps, hint="--max-steps")
            used = needed
            rows.append(row)
            advance()
    return rows


def _table_row(item: tuple[str, Any, int]) -> dict[str, Any] | int:
    """The row of one puzzle, or the steps it needed (an int) when it needs more than ``cap``."""
    label, grid, cap = item
    try:
        traj = solve(grid, max_steps=cap)
    except InstanceTooLarge as exc:
        return int(exc.needed)
    problems = verify_trajectory(traj)
    if traj.solution is not None:
        problems += solution_problems(traj.puzzle, traj.solution)
    arm = arm_view_states(traj.states)
    return {"label": label, "givens": int((traj.puzzle > 0).sum()), "backtracks": traj.counts.backtracks,
            "steps": traj.steps, "context": traj.context, "arm_edit_tokens": arm.arm_edit_tokens,
            "solved": traj.solved, "valid": traj.solved and not problems}


def buckets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by backtrack count: puzzles, mean steps (integer), distinct contexts."""
    out = []
    for lo, hi in BUCKETS:
        sel = [r for r in rows if lo <= r["backtracks"] <= hi]
        if sel:
            out.append({"backtracks": f"{lo}" if lo == hi else f"{lo}-{hi}" if hi < 10**12 else f">={lo}",
                        "puzzles": len(sel), "mean_steps": sum(r["steps"] for r in sel) // len(sel),
                        "max_steps": max(r["steps"] for r in sel),
                        "contexts": sorted({r["context"] for r in sel}),
                        "mean_arm_edit_tokens": sum(r["arm_edit_tokens"] for r in sel) // len(sel)})
    return out


def run_table(args: argparse.Namespace) -> int:
    solve_seconds = args.max_steps * SECONDS_PER_STEP
    if not (args.file or args.famous):
        solve_seconds += generate_seconds(args.count, args.givens, False)
    check_seconds(args, solve_seconds, "the table (generation, then up to --max-steps search steps)")
    if args.file:
        items: list[tuple[str, Any]] = list(read_puzzle_file(args.file))
        source = args.file
    elif args.famous:
        items = list(famous_puzzles())
        source = "famous"
    else:
        with progress(not args.json, "generating", args.count) as advance:
            items = []
            for k, p in enumerate(generate_puzzles(args.count, givens=args.givens, seed=args.seed)):
                items.append((f"seed {args.seed} #{k}", p))
                advance()
        source = f"generated: count {args.count}, givens {args.givens}, seed {args.seed}"
    rows = table_rows(items, show_progress=not args.json, max_steps=args.max_steps, workers=args.workers)
    ok = all(r["valid"] for r in rows)
    groups = buckets(rows)
    if args.json:
        emit_json({"schema": "powergen.sudoku.table/1", "source": source, "rows": rows, "buckets": groups,
                   "puzzles": len(rows), "all_valid": ok})
    else:
        con = stdout_console()
        if len(rows) <= 40:
            tab = Table(title=f"Sudoku as AP-MDM ({source})")
            for col in ("puzzle", "givens", "backtracks", "AP-MDM steps", "context", "ARM edit tokens", "valid"):
                tab.add_column(col)
            for r in rows:
                tab.add_row(r["label"], str(r["givens"]), str(r["backtracks"]), str(r["steps"]), str(r["context"]),
                            str(r["arm_edit_tokens"]), "yes" if r["valid"] else "[bold red]NO[/bold red]")
            con.print(tab)
        tab = Table(title="steps grow with backtracks; the context stays 324")
        for col in ("backtracks", "puzzles", "mean steps", "max steps", "context", "mean ARM edit tokens"):
            tab.add_column(col)
        for b in groups:
            tab.add_row(b["backtracks"], str(b["puzzles"]), str(b["mean_steps"]), str(b["max_steps"]),
                        ",".join(map(str, b["contexts"])), str(b["mean_arm_edit_tokens"]))
        con.print(tab)
        con.print(f"{len(rows)} puzzles, {'all solved and validated' if ok else 'SOME NOT VALID'}")
    return EXIT_OK if ok else EXIT_FAILED
