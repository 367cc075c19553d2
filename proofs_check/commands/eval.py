"""``powergen eval TASK --checkpoint DIR [--lengths 100 1000] [--count N] --json``: run a trained model as AP-MDM.

For each length, ``count`` random instances are run by :class:`machines.paradigms.APMDM` with the checkpoint's
:class:`~machines.neural.predictor.NeuralPredictor` to a fixed point; the report gives accuracy and steps per
length, the fraction of the training transitions the model reproduces, and (with >= 3 lengths) the growth class
of the mean step count (:func:`proofs_check.growth.classify_growth`).  ``--oracle`` runs the task's own process
instead of a checkpoint.  Exit 0 when every run is correct, 1 otherwise.  ``powergen eval sudoku --checkpoint
shipped|PATH [--count N]`` is the Sudoku experiment's evaluation (:func:`proofs_check.experiments.sudoku_cli.run_eval`).
"""

from __future__ import annotations

import argparse
from typing import Any

from machines.neural.checkpoint import load_checkpoint
from machines.neural.predictor import NeuralPredictor
from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    progress,
    stdout_console,
)
from proofs_check.errors import UsageError
from proofs_check.experiments.evaluate import evaluate, transition_fidelity
from proofs_check.growth import classify_growth
from proofs_check.inputs import MAX_EVAL_COUNT, MAX_EVAL_LENGTH, MAX_EVAL_LETTERS, check_cap, int_type
from reductions.tasks import registry

SCHEMA = "powergen.eval/1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate a trained f_theta as an AP-MDM machine on random instances")
    names = [*registry.names(), "sudoku"]
    p.add_argument("task", metavar="TASK", choices=names, help=f"one of: {', '.join(names)}")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", metavar="DIR", help="a directory written by powergen train")
    src.add_argument("--oracle", action="store_true", help="run the task's own (oracle) process instead")
    p.add_argument("--lengths", type=int_type(lo=1, hi=MAX_EVAL_LENGTH), nargs="+", default=None, metavar="N",
                   help="input lengths (default: the task's, 100 1000 for parity)")
    p.add_argument("--count", type=int_type(lo=1, hi=MAX_EVAL_COUNT), default=None,
                   help="instances per length (default: the task's)")
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def load_predictor(task: Any, directory: str) -> tuple[Any, dict[str, Any]]:
    ck = load_checkpoint(directory)
    trained_on = ck.task
    if trained_on != task.name:
        raise UsageError(f"{directory} holds a model trained on {trained_on!r}, not {task.name!r}")
    pred = NeuralPredictor(config=ck.model, params=ck.params)
    info = {"n_params": int(sum(a.size for a in ck.params.values())), "train_seed": ck.state["seed"],
            "updates": ck.step, "window_table": pred.table is not None}
    return pred, info


def run(args: argparse.Namespace) -> int:
    if args.task == "sudoku":
        from proofs_check.experiments.sudoku_cli import run_eval

        return run_eval(args)
    task = registry.get(args.task)
    lengths = args.lengths or list(task.default_lengths)
    count = args.count or task.default_count
    check_cap("the letters of all runs (count x sum of lengths)", count * sum(lengths), MAX_EVAL_LETTERS, None)
    if args.oracle:
        pred: Any = task.oracle
        info: dict[str, Any] = {"source": "oracle"}
    else:
        pred, info = load_predictor(task, args.checkpoint)
        info["source"] = "checkpoint"
        info["fidelity"] = round(transition_fidelity(pred, task.transitions(seed=0), mask_id=task.vocab.mask_id), 6)
    with progress(not args.json, f"eval {task.name}", len(lengths) * count) as advance:
        reports = evaluate(task, pred, lengths=lengths, count=count, seed=args.seed, on_run=advance)
    growth = None
    if len(lengths) >= 3 and all(r.steps_mean > 0 for r in reports):
        growth = classify_growth(lengths, [r.steps_mean for r in reports]).to_json()
    ok = all(r.correct == r.count for r in reports)
    if args.json:
        emit_json({"schema": SCHEMA, "task": task.name, "seed": args.seed, **info,
                   "lengths": [r.to_json() for r in reports], "steps_growth": growth, "ok": ok})
    else:
        con = stdout_console()
        if "fidelity" in info:
            con.print(f"{task.name}: {info['n_params']} parameters; reproduces {info['fidelity']:.1%} of the "
                      f"training transitions")
        for r in reports:
            style = "green" if r.correct == r.count else "bold red"
            con.print(f"length {r.length:>6}: [{style}]{r.correct}/{r.count} correct[/{style}], steps "
                      f"min {r.steps_min} mean {r.steps_mean:.1f} max {r.steps_max}")
            for f in r.failures[:3]:
                con.print(f"    {f}", highlight=False, markup=False)
        if growth is not None:
            con.print(f"steps grow like {growth['best']} (doubling ratios {growth['ratios']})")
    return EXIT_OK if ok else EXIT_FAILED
