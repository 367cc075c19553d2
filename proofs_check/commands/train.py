"""``powergen train TASK --seed S --out DIR``: train the numpy Transformer on a task's verified transitions.

Progress (update, loss, accuracy per head) is a rich bar on stderr; the result (parameter count, final loss and
accuracies, the checkpoint directory) goes to stdout, as JSON with ``--json``.  The checkpoint in ``DIR`` is
byte-identical for the same task, seed and settings.  ``--steps N`` is the *total* number of updates of the run;
``--resume`` continues the checkpoint in ``DIR`` up to that total (a larger total extends a finished run), with a
result byte-identical to an uninterrupted run even after ``kill -9``; it refuses a checkpoint of another task,
model, seed or settings, a corrupt one, and an empty directory.  A ``DIR`` that is not empty is refused without
``--resume`` unless ``--force``.  ``--model KEY=VALUE ...`` overrides fields of the task's model (the checkpoint
records the model used).  See :mod:`machines.neural.checkpoint` for the format.
"""

from __future__ import annotations

import argparse
import sys
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from machines.neural.config import override
from proofs_check.cli_common import (
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    pos_int,
    stderr_console,
    stdout_console,
)
from proofs_check.experiments.train import MAX_PARAMS, TrainLog, train_task
from proofs_check.inputs import MAX_TRAIN_STEPS, int_type
from reductions.tasks import registry

SCHEMA = "powergen.train/1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the numpy Transformer f_theta on a task (parity, parity-parallel, ...)")
    p.add_argument("task", metavar="TASK", choices=registry.names(), help=f"one of: {', '.join(registry.names())}")
    p.add_argument("--out", required=True, type=out_dir, metavar="DIR",
                   help="checkpoint directory (a 'current' pointer and one version directory)")
    p.add_argument("--steps", type=int_type(lo=1, hi=MAX_TRAIN_STEPS), default=None, metavar="N",
                   help="total number of updates (default: the task's); with --resume, the total to reach")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue the checkpoint in DIR up to --steps (same task, model, seed and settings)")
    again.add_argument("--force", action="store_true", help="start a new run even if DIR is not empty")
    p.add_argument("--checkpoint-every", type=int_type(lo=1, hi=MAX_TRAIN_STEPS), default=None, metavar="N",
                   help="also save every N updates")
    add_model_flags(p)
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    task = registry.get(args.task)
    model = override(task.model_config(), args.model)
    show = not args.json and sys.stderr.isatty()
    t0 = time.perf_counter()
    total = args.steps or task.train_config().steps
    if show:
        cols = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn())
        with Progress(*cols, console=stderr_console(), transient=True) as prog:
            bar = prog.add_task(f"train {task.name}", total=total, stats="")

            def on_log(log: TrainLog) -> None:
                acc = " ".join(f"{k[:3]} {v:.3f}" for k, v in log.accuracy.items())
                prog.update(bar, completed=log.step, stats=f"loss {log.loss:.4f} | acc {acc}")

            res = train_task(task, seed=args.seed, model=model, out_dir=args.out, steps=args.steps,
                             resume=args.resume, force=args.force, checkpoint_every=args.checkpoint_every,
                             on_log=on_log, max_params=args.max_params)
    else:
        res = train_task(task, seed=args.seed, model=model, out_dir=args.out, steps=args.steps, resume=args.resume,
                         force=args.force, checkpoint_every=args.checkpoint_every, max_params=args.max_params)
    seconds = time.perf_counter() - t0
    last = res.last
    summary = {"schema": SCHEMA, "task": task.name, "seed": args.seed, "out": args.out, "steps": res.train.steps,
               "n_params": res.n_params, "loss": last.loss if last else None,
               "accuracy": last.accuracy if last else None, "model": res.model.to_json()}
    if args.json:
        emit_json(summary)
    else:
        con = stdout_console()
        con.print(f"trained [bold]{task.name}[/bold] (seed {args.seed}): {res.n_params} parameters, "
                  f"{res.train.steps} updates in {seconds:.1f} s")
        if last is not None:
            acc = ", ".join(f"{k} {v:.3f}" for k, v in last.accuracy.items())
            con.print(f"final batch: loss {last.loss:.5f}; accuracy {acc}")
        con.print(f"checkpoint: {args.out}  (evaluate: powergen eval {task.name} --checkpoint {args.out})")
    return EXIT_OK


def out_dir(text: str) -> str:
    """argparse type: a non-empty directory path (``--out ''`` would write into the current directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory path, got an empty string")
    return text


def key_value(text: str) -> str:
    """argparse type: ``KEY=VALUE`` (so that a task name after ``--model`` is not read as an assignment)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r} (put --model after the task name)")
    return text


def add_model_flags(p: argparse.ArgumentParser) -> None:
    """``--model KEY=VALUE ...`` and ``--max-params N``, shared by ``train`` and ``seeds``."""
    p.add_argument("--model", nargs="+", type=key_value, default=[], metavar="KEY=VALUE",
                   help="override fields of the task's model, e.g. block=none window=2 rel_clip=2")
    p.add_argument("--max-params", type=pos_int, default=MAX_PARAMS, metavar="N",
                   help=f"refuse models with more parameters (default {MAX_PARAMS:,})")
