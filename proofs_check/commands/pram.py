"""``powergen pram run PROGRAM`` and ``powergen pram list``: the PRAM library from the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.markup import escape
from rich.table import Table

from pram.errors import InvalidInput, StepLimitExceeded
from pram.machine import DEFAULT_MAX_STEPS, PRAM, Policy, PramRun, PramStep, Program
from pram.programs import PROGRAMS, get_program
from pram.rng import as_generator
from proofs_check.cli_common import (
    EXIT_OK,
    add_json_flag,
    emit_json,
    load_json_file,
    nonneg_int,
    pos_int,
    stdout_console,
)
from proofs_check.inputs import add_time_flag, check_seconds, int_type

GROUP = "pram"
RUN_SCHEMA = "powergen.pram-run/1"
LIST_SCHEMA = "powergen.pram-list/1"
#: memories wider than this are shown as their first 12 and last 3 cells
WIDE = 16
#: traces longer than this show their first 40 and last 10 steps
LONG = 60
#: --trace keeps a copy of memory and registers per step; refuse traces above this many words
TRACE_CELLS = 20_000_000
#: no instance larger than this is drawn or read, whatever --max-size says (memory of the instance itself)
HARD_MAX_SIZE = 2**24
#: seconds per PRAM step and per processor-step of the simulator, measured on the reference machine (2 shared
#: cores), rounded up; programs whose processors run longer instruction sequences have their own rate
SECONDS_PER_STEP = 2.5e-4
SECONDS_PER_PROC_STEP = 3e-7
PROGRAM_RATES = {"connectivity": 1.4e-6, "sat": 6e-6}


#: programs whose T*P may be as small as n (one processor, or time exponential in n)
SEQUENTIAL_LIKE = frozenset({"iterate", "sat"})


def least_time_processors(name: str, n: int) -> tuple[int, int]:
    """A lower bound on (T, P) from n alone, checked before an instance is drawn: every program reads its input
    (T*P >= n); the parallel programs of the library use P >= n/2 processors for T >= log2(n) steps."""
    if name in SEQUENTIAL_LIKE or n < 2:
        return 1, max(n, 1)
    return max(1, n.bit_length() - 1), max(1, n // 2)


def estimate_seconds(name: str, time: int, processors: int) -> float:
    """Estimated seconds of ``pram run`` for a program with T = ``time`` and P = ``processors`` (conservative)."""
    return SECONDS_PER_STEP * time + PROGRAM_RATES.get(name, SECONDS_PER_PROC_STEP) * time * processors


def register(sub: argparse._SubParsersAction) -> None:
    run_p = sub.add_parser("run", help="run one library program on one instance")
    run_p.add_argument("program", help="program name (see `powergen pram list`)")
    src = run_p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", metavar="FILE", help="JSON instance file (format: see `powergen pram list`)")
    src.add_argument("--n", type=nonneg_int, help="size of a random instance")
    run_p.add_argument("--seed", type=nonneg_int, default=0,
                       help="seed of the random instance and of CRCW-arbitrary winners (default 0)")
    run_p.add_argument("--policy", default=None,
                       help="access policy: " + ", ".join(p.value for p in Policy) + " (default: the program's)")
    run_p.add_argument("--trace", action="store_true", help="show the memory after every step")
    run_p.add_argument("--max-steps", type=pos_int, default=DEFAULT_MAX_STEPS,
                       help=f"refuse instances needing more PRAM steps (default {DEFAULT_MAX_STEPS})")
    run_p.add_argument("--max-size", type=int_type(lo=1, hi=HARD_MAX_SIZE), default=None,
                       help="refuse instances larger than this (default: per program, see `powergen pram list`; "
                            f"at most {HARD_MAX_SIZE})")
    add_time_flag(run_p)
    add_json_flag(run_p)
    run_p.set_defaults(func=run)
    list_p = sub.add_parser("list", help="list the PRAM programs")
    add_json_flag(list_p)
    list_p.set_defaults(func=list_programs)


def _instance(prog: Program[Any], args: argparse.Namespace, limit: int) -> Any:
    if args.n is not None:
        if args.n > limit:
            raise InvalidInput(f"--n {args.n} exceeds the size limit {limit} of {prog.name}; raise it with "
                               "--max-size")
        check_seconds(args, estimate_seconds(prog.name, *least_time_processors(prog.name, args.n)),
                      f"{prog.name} on n={args.n}")
        return prog.random_instance(args.n, as_generator(args.seed))
    inst = prog.parse_instance(load_json_file(args.input))
    if prog.size(inst) > limit:
        raise InvalidInput(f"instance size n={prog.size(inst)} exceeds the size limit {limit} of {prog.name}; "
                           "raise it with --max-size")
    return inst


def run(args: argparse.Namespace) -> int:
    prog = get_program(args.program)
    policy = prog.min_policy if args.policy is None else Policy.parse(args.policy)
    limit = prog.default_max_size if args.max_size is None else args.max_size
    inst = _instance(prog, args, limit)
    counters = prog.exact_counters(inst)
    steps = counters.time
    check_seconds(args, estimate_seconds(prog.name, counters.time, counters.processors),
                  f"{prog.name} (T={counters.time}, P={counters.processors})")
    if steps > args.max_steps:
        raise InvalidInput(f"{prog.name} needs T={steps} PRAM steps on this instance, above the limit "
                           f"{args.max_steps}; raise it with --max-steps")
    if args.trace:
        setup = prog.setup(inst)
        cells = steps * (setup.memory.size + setup.registers.size)
        if cells > TRACE_CELLS:
            raise InvalidInput(f"--trace would record {cells} words (T={steps} steps of memory and registers), "
                               f"above the limit {TRACE_CELLS}; run without --trace or on a smaller instance")
    machine = PRAM(program=prog, policy=policy, max_steps=args.max_steps, seed=args.seed)
    try:
        result = machine.run(inst, trace=args.trace)
    except StepLimitExceeded as exc:
        raise StepLimitExceeded(limit=exc.limit, hint="--max-steps") from None
    doc: dict[str, Any] = {"schema": RUN_SCHEMA, "program": prog.name, "policy": policy.value,
                           "n": prog.size(inst), "output": result.output, "counters": result.counters.to_json()}
    if args.json:
        if args.trace:
            doc["trace"] = [_step_json(s) for s in result.steps or []]
        emit_json(doc)
    else:
        _print_run(doc, result, args.trace)
    return EXIT_OK


def _step_json(s: PramStep) -> dict[str, Any]:
    return {"t": s.t, "active": s.active, "reads": s.reads, "writes": s.writes, "memory": s.memory.tolist()}


def _cells(memory: Any) -> str:
    cells = [int(x) for x in memory]
    if len(cells) <= WIDE:
        return " ".join(map(str, cells))
    return " ".join(map(str, cells[:12])) + f" ... ({len(cells) - 15} more) ... " + " ".join(map(str, cells[-3:]))


def _short(obj: Any, width: int = 400) -> str:
    text = json.dumps(obj)
    return text if len(text) <= width else text[:width] + f" ... ({len(text) - width} more characters; use --json)"


def _print_run(doc: dict[str, Any], result: PramRun, trace: bool) -> None:
    con = stdout_console()
    if trace and result.steps is not None:
        table = Table(title=f"{doc['program']} ({doc['policy']}): memory after each step")
        for col in ("t", "active", "reads", "writes"):
            table.add_column(col, justify="right")
        table.add_column("memory")
        rows = result.steps
        shown = rows if len(rows) <= LONG else rows[:40] + rows[-10:]
        for k, s in enumerate(shown):
            if len(rows) > LONG and k == 40:
                table.add_row("...", "", "", "", f"({len(rows) - 50} steps not shown)")
            table.add_row(str(s.t), str(s.active), str(s.reads), str(s.writes), _cells(s.memory))
        con.print(table)
    table = Table(title=f"powergen pram run {doc['program']}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    table.add_row("policy", doc["policy"])
    table.add_row("n", str(doc["n"]))
    table.add_row("output", escape(_short(doc["output"])))
    for k, v in doc["counters"].items():
        table.add_row(k, str(v))
    con.print(table)


def list_programs(args: argparse.Namespace) -> int:
    rows = [{"name": p.name, "min_policy": p.min_policy.value, "input": p.input_format,
             "default_max_size": p.default_max_size, "citation": p.citation} for p in PROGRAMS.values()]
    if args.json:
        emit_json({"schema": LIST_SCHEMA, "programs": rows})
        return EXIT_OK
    table = Table(title="PRAM programs")
    for col in ("name", "min policy", "input", "max size"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(escape(str(r[c])) for c in ("name", "min_policy", "input", "default_max_size")))
    con = stdout_console()
    con.print(table)
    con.print("Algorithms followed:")
    for r in rows:
        con.print(f"  {r['name']}: {escape(str(r['citation']))}")
    return EXIT_OK
