"""``powergen reduce thm1|thm4``: run one theorem construction on one PRAM instance, in lock step with the PRAM.

Input as for ``powergen pram run``: ``--input FILE`` (the program's JSON instance) or ``--n N --seed S`` (a random
instance).  Prints the output, the PRAM counters, the machine counters and ``"lockstep": "ok"``.

Limits, all checked before anything large is built: ``--max-size`` (default: the program's own
``default_max_size``, as ``powergen pram run``; ``--n`` is checked before the random instance is drawn),
``--max-steps`` (the program's exact T on the instance), ``--max-length`` (the machine's context) and
``--word-bits`` (1..61: token ids are int64).
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from machines.io import check_writable
from pram.errors import InvalidInput
from pram.machine import DEFAULT_MAX_STEPS
from pram.programs import get_program
from pram.rng import as_generator
from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    load_json_file,
    pos_int,
    stdout_console,
)
from proofs_check.commands.pram import HARD_MAX_SIZE
from proofs_check.errors import UsageError
from proofs_check.inputs import add_time_flag, check_seconds, int_type
from reductions.errors import InstanceTooLarge
from reductions.lockstep import run_apmdm, run_mdm
from reductions.pram_common import DEFAULT_MAX_LENGTH, DEFAULT_WORD_BITS, MAX_WORD_BITS

GROUP = "reduce"
SCHEMA = "powergen.reduce/1"
_TITLES = {"thm1": "Theorem 1: PRAM -> MDM", "thm4": "Theorem 4: PRAM -> AP-MDM"}


#: ``--word-bits``: an integer in ``1..MAX_WORD_BITS`` (token ids are int64)
word_bits_arg = int_type(lo=1, hi=MAX_WORD_BITS)


def estimate_seconds(theorem: str, time: int, processors: int, memory: int) -> float:
    """Estimated seconds of ``reduce thm1|thm4`` from the program's exact T, P, S (conservative).

    Rates measured on the reference machine (2 shared cores) and rounded up: Theorem 1's predictor re-reads the
    earlier write records (O(T^2 P) work), Theorem 4 does O(P + S) work per step over O(T) steps.
    """
    if theorem == "thm1":
        return 5e-3 * time + 1e-6 * time * time * processors + 4e-6 * time * (processors + memory)
    return 5e-3 * time + 1e-5 * time * (processors + memory)


def register(sub: argparse._SubParsersAction) -> None:
    for thm, title in _TITLES.items():
        p = sub.add_parser(thm, help=f"{title} on one instance (lock-step checked)")
        p.add_argument("--program", required=True, help="PRAM program name (see `powergen pram list`)")
        src = p.add_mutually_exclusive_group(required=True)
        src.add_argument("--input", metavar="FILE", help="JSON instance file (the program's input format)")
        src.add_argument("--n", type=pos_int, help="size of a random instance (with --seed)")
        add_seed_flag(p)
        add_json_flag(p)
        p.add_argument("--policy", default=None, help="PRAM access policy (default: the weakest supported)")
        p.add_argument("--max-length", type=pos_int, default=DEFAULT_MAX_LENGTH,
                       help=f"refuse instances whose machine context exceeds this (default {DEFAULT_MAX_LENGTH})")
        p.add_argument("--word-bits", type=word_bits_arg, default=DEFAULT_WORD_BITS,
                       help=f"bits of a machine word (one token), 1..{MAX_WORD_BITS}; default {DEFAULT_WORD_BITS}")
        add_time_flag(p)
        p.add_argument("--max-size", type=int_type(lo=1, hi=HARD_MAX_SIZE), default=None,
                       help="refuse instances larger than this (default: per program, see `powergen pram list`)")
        p.add_argument("--html", metavar="FILE", help="write a self-contained HTML page that plays the run")
        p.add_argument("--max-steps", type=pos_int, default=DEFAULT_MAX_STEPS,
                       help=f"refuse instances needing more PRAM steps T (default {DEFAULT_MAX_STEPS})")
        p.set_defaults(func=lambda args, thm=thm: run(args, thm))


def load_instance(program: Any, args: argparse.Namespace) -> Any:
    """The instance named on the command line (``--input FILE`` or ``--n N --seed S``), within ``--max-size``.

    ``--n`` is checked against the size limit before the random instance is drawn.
    """
    max_size = getattr(args, "max_size", None)
    limit = program.default_max_size if max_size is None else max_size
    if args.input is not None:
        inst = program.parse_instance(load_json_file(args.input))
        if program.size(inst) > limit:
            raise InvalidInput(f"instance size n={program.size(inst)} exceeds the size limit {limit} of "
                               f"{program.name}; raise it with --max-size")
        return inst
    if args.n is None:
        raise UsageError("give --input FILE or --n N")
    if args.n > limit:
        raise InvalidInput(f"--n {args.n} exceeds the size limit {limit} of {program.name}; raise it with --max-size")
    if hasattr(args, "max_seconds"):  # T >= 1 and P + S >= n: a lower bound before the instance is drawn
        check_seconds(args, estimate_seconds(getattr(args, "theorem", "thm4"), 1, args.n, args.n),
                      f"the construction on n={args.n}")
    return program.random_instance(args.n, as_generator(args.seed))


def check_steps(program: Any, inst: Any, max_steps: int) -> int:
    """The program's exact T on ``inst`` (closed form, nothing run); refused above ``max_steps``."""
    steps = int(program.exact_counters(inst).time)
    if steps > max_steps:
        raise InstanceTooLarge(quantity=f"the PRAM time T of {program.name} on this instance", needed=steps,
                               limit=max_steps, hint="--max-steps")
    return steps


def run(args: argparse.Namespace, theorem: str) -> int:
    program = get_program(args.program)
    args.theorem = theorem
    inst = load_instance(program, args)
    check_steps(program, inst, args.max_steps)
    c = program.exact_counters(inst)
    check_seconds(args, estimate_seconds(theorem, int(c.time), int(c.processors), int(c.memory)),
                  f"{theorem} on {program.name} (T={c.time}, P={c.processors}, S={c.memory})")
    if args.html:
        check_writable(args.html)
    runner = run_mdm if theorem == "thm1" else run_apmdm
    res = runner(program, inst, policy=args.policy, seed=args.seed, max_length=args.max_length,
                 word_bits=args.word_bits, keep_records=bool(args.html))
    if args.html:
        from proofs_check.viewer.hooks import reduction_page
        reduction_page(args.html, theorem, program, inst, res, policy=args.policy, max_length=args.max_length,
                       word_bits=args.word_bits)
    oracle = program.oracle(inst)
    ok = res.output == oracle and res.lockstep == "ok"
    if args.json:
        emit_json({"schema": SCHEMA, **res.to_json(), "oracle": oracle, "ok": ok})
        return EXIT_OK if ok else EXIT_FAILED
    table = Table(title=f"{_TITLES[theorem]} -- {program.name} ({res.policy})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    pc, mc = res.pram_counters, res.machine_counters
    for k, v in (("PRAM time T", pc.time), ("PRAM processors P", pc.processors), ("PRAM memory S", pc.memory),
                 ("machine steps", mc.steps), ("peak context", mc.peak_length),
                 ("tokens processed", mc.tokens_processed), ("lookups per position (max)", res.lookups_max),
                 ("word bits used", res.word_bits), ("halt", res.halt_reason),
                 ("lock step", f"{res.lockstep} ({res.lockstep_steps} PRAM steps compared)")):
        table.add_row(k, str(v))
    console = stdout_console()
    console.print(table)
    console.print(f"output: {res.output!r}")
    console.print("[green]output equals the oracle's[/green]" if ok else f"[bold red]oracle says {oracle!r}[/]")
    return EXIT_OK if ok else EXIT_FAILED
