"""``powergen seeds TASK [--seeds N] [--lengths ...] [--count N] [--model KEY=VALUE ...] --json``: a seed study.

Trains ``TASK`` once per seed (seeds ``first .. first+N-1``; seed ``S`` is the model ``powergen train TASK --seed S``
writes) and runs each model as an AP-MDM on the same random instances; reports, per seed, whether it reproduces its
training transitions and how many runs are correct per length, and how many seeds generalise (every run correct).
``--model`` overrides fields of the task's model (``--model block=none window=2 rel_clip=2``) to compare
architectures on the same data.  Exit 0 when the study ran (the share of seeds is the result).
"""

from __future__ import annotations

import argparse
from typing import Any

from machines.neural.config import override
from proofs_check.cli_common import (
    EXIT_OK,
    add_json_flag,
    emit_json,
    nonneg_int,
    pos_int,
    progress,
    require,
    stdout_console,
)
from proofs_check.commands.train import add_model_flags
from proofs_check.experiments.seeds import SeedResult, seed_study
from proofs_check.inputs import (
    MAX_EVAL_COUNT,
    MAX_EVAL_LENGTH,
    MAX_EVAL_LETTERS,
    MAX_TRAIN_STEPS,
    check_cap,
    int_type,
)
from proofs_check.parallel import add_workers_flag
from reductions.tasks import registry

SCHEMA = "powergen.seeds/1"
MAX_SEEDS = 10_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seeds", help="train a task under many seeds and count the models that generalise")
    p.add_argument("task", metavar="TASK", choices=registry.names(), help=f"one of: {', '.join(registry.names())}")
    p.add_argument("--seeds", type=pos_int, default=20, metavar="N",
                   help="number of training seeds (default 20)")
    p.add_argument("--first-seed", type=nonneg_int, default=0, metavar="S", help="first training seed (default 0)")
    p.add_argument("--lengths", type=int_type(lo=1, hi=MAX_EVAL_LENGTH), nargs="+", default=None, metavar="N",
                   help="input lengths (default: the task's)")
    p.add_argument("--count", type=int_type(lo=1, hi=MAX_EVAL_COUNT), default=None, metavar="N",
                   help="instances per length (default: the task's)")
    p.add_argument("--eval-seed", type=nonneg_int, default=0, metavar="S",
                   help="seed of the evaluation instances, the same for every model (default 0)")
    p.add_argument("--steps", type=int_type(lo=1, hi=MAX_TRAIN_STEPS), default=None, metavar="N",
                   help="updates per training run (default: the task's)")
    add_model_flags(p)
    add_workers_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    require(args.seeds <= MAX_SEEDS, f"--seeds {args.seeds} is above the limit of {MAX_SEEDS}")
    task = registry.get(args.task)
    model = override(task.model_config(), args.model)
    lengths = args.lengths or list(task.default_lengths)
    count = args.count or task.default_count
    check_cap("the letters of all evaluation runs (seeds x count x sum of lengths)", args.seeds * count * sum(lengths),
              MAX_EVAL_LETTERS * 10, None)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    seconds: list[float] = []
    with progress(not args.json, f"seeds {task.name}", args.seeds) as advance:
        def on_seed(r: SeedResult) -> None:
            seconds.append(r.seconds)
            advance()

        study = seed_study(task, seeds, lengths=lengths, count=count, eval_seed=args.eval_seed, model=model,
                           steps=args.steps, max_params=args.max_params, on_seed=on_seed, workers=args.workers)
    out: dict[str, Any] = {"schema": SCHEMA, **study.to_json()}
    if args.json:
        emit_json(out)
        return EXIT_OK
    con = stdout_console()
    con.print(f"[bold]{task.name}[/bold]: {study.n_params} parameters; {study.successes} of {len(study.results)} "
              f"seeds generalise (every run correct at lengths {', '.join(map(str, lengths))}, {count} inputs each)")
    for r in study.results:
        mark = "[green]yes[/green]" if r.generalises else "[red]no[/red]"
        per = "  ".join(f"{n}: {rep.correct}/{rep.count}" for n, rep in zip(lengths, r.reports, strict=True))
        con.print(f"  seed {r.seed:>4}  fits {r.fidelity:6.1%}  {per}  generalises {mark}")
    if seconds:
        con.print(f"mean training + evaluation time per seed: {sum(seconds) / len(seconds):.2f} s")
    return EXIT_OK
