"""``powergen train TASK --seed S --out DIR``: train the numpy Transformer on a task's verified transitions.

Progress (update, loss, accuracy per head) is a rich bar on stderr; the result (parameter count, final loss and
accuracies, the checkpoint directory) goes to stdout, as JSON with ``--json``.  The checkpoint in ``DIR`` is
byte-identical for the same task, seed and settings; ``--resume`` continues a checkpoint exactly.  ``--model
KEY=VALUE ...`` overrides fields of the task's model (the checkpoint records the model used).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from machines.neural.config import override
from machines.neural.pipeline import TrainLog, train
from proofs_check.cliutil import (
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    pos_int,
    stderr_console,
    stdout_console,
)
from reductions.tasks import registry

SCHEMA = "powergen.train/1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the numpy Transformer f_theta on a task (parity, parity-parallel, ...)")
    p.add_argument("task", metavar="TASK", choices=registry.names(), help=f"one of: {', '.join(registry.names())}")
    p.add_argument("--out", required=True, metavar="DIR", help="checkpoint directory (weights.npz, checkpoint.json)")
    p.add_argument("--steps", type=pos_int, default=None, help="number of updates (default: the task's)")
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in DIR (same seed and settings)")
    p.add_argument("--checkpoint-every", type=pos_int, default=None, metavar="N", help="also save every N updates")
    p.add_argument("--model", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override fields of the task's model, e.g. block=none window=2 rel_clip=2")
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def train_task(task: Any, *, seed: int, out: str | None, steps: int | None = None, resume: bool = False,
               checkpoint_every: int | None = None, on_log: Any = None, model: Sequence[str] = ()) -> Any:
    """Train ``task`` with its default configs (``steps`` overrides the number of updates, ``model`` holds
    ``KEY=VALUE`` overrides of the model, :func:`machines.neural.config.override`)."""
    tcfg = task.train_config()
    if steps is not None:
        tcfg = replace(tcfg, steps=steps)
    cfg = override(task.model_config(), list(model))
    return train(task.transitions(seed=seed), model=cfg, train_cfg=tcfg, seed=seed, out_dir=out,
                 resume=resume, checkpoint_every=checkpoint_every, on_log=on_log, extra={"task": task.name})


def run(args: argparse.Namespace) -> int:
    task = registry.get(args.task)
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

            res = train_task(task, seed=args.seed, out=args.out, steps=args.steps, resume=args.resume,
                             checkpoint_every=args.checkpoint_every, on_log=on_log, model=args.model)
    else:
        res = train_task(task, seed=args.seed, out=args.out, steps=args.steps, resume=args.resume,
                         checkpoint_every=args.checkpoint_every, model=args.model)
    seconds = time.perf_counter() - t0
    last = res.history[-1] if res.history else None
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
