"""``powergen eval TASK --checkpoint DIR [--lengths 100 1000] [--count N] --json``: run a trained model as AP-MDM.

For each length, ``count`` random instances are run by :class:`machines.paradigms.APMDM` with the checkpoint's
:class:`~machines.neural.predictor.NeuralPredictor` to a fixed point; the report gives accuracy and steps per
length, the fraction of the training transitions the model reproduces, and (with >= 3 lengths) the growth class
of the mean step count (:func:`proofs_check.growth.classify_growth`).  ``--oracle`` runs the task's own process
instead of a checkpoint.  Exit 0 when every run is correct, 1 otherwise.  ``powergen eval sudoku --checkpoint
shipped|PATH [--count N]`` is the Sudoku experiment's evaluation (:func:`proofs_check.experiments.sudoku_cli.run_eval`).

``powergen eval maxflow --checkpoint shipped|PATH [--sizes 4-10] [--test-per-size N] [--teacher-forced] [--seed S]
[--json]`` evaluates the graph-editing models (issue 15) without training: every shipped model (AP-MDM, edit-log ARM,
answer-only ARM, whichever are shipped), a shipped model directory, or a training run directory, each with its
batched decoder on the experiment's held-out test graphs and its success rule
(:mod:`proofs_check.experiments.maxflow_eval`), and prints a table with the paper's numbers beside ours;
``--teacher-forced`` adds, for AP-MDM models, the fraction of every oracle step of those graphs that the model gets
exactly right through ``g`` (ARMs have no such per-step measure here).  Exit 0
when the evaluation ran (the accuracies are measurements, not a check); 2 when nothing is shipped, the path is
bad or a model fails verification.
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
from proofs_check.parallel import add_workers_flag
from reductions.tasks import registry

SCHEMA = "powergen.eval/1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate a trained f_theta as an AP-MDM machine on random instances")
    names = [*registry.names(), "maxflow", "sudoku"]
    p.add_argument("task", metavar="TASK", choices=names, help=f"one of: {', '.join(names)}")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", metavar="DIR",
                     help="a directory written by powergen train; for maxflow also 'shipped' (every shipped model), "
                          "a shipped model directory or a run directory of powergen experiment")
    src.add_argument("--oracle", action="store_true", help="run the task's own (oracle) process instead")
    p.add_argument("--lengths", type=int_type(lo=1, hi=MAX_EVAL_LENGTH), nargs="+", default=None, metavar="N",
                   help="input lengths (default: the task's, 100 1000 for parity)")
    p.add_argument("--count", type=int_type(lo=1, hi=MAX_EVAL_COUNT), default=None,
                   help="instances per length (default: the task's)")
    p.add_argument("--sizes", type=size_range, default=None, metavar="A-B",
                   help="maxflow: graph sizes to evaluate, e.g. 4-10 or 8,9,10 (default: each model's test sizes)")
    p.add_argument("--test-per-size", type=int_type(lo=1, hi=MAX_EVAL_COUNT), default=None, metavar="N",
                   help="maxflow: held-out graphs per size, every model (default 1000; edit-log ARMs 30, their "
                        "evaluation costs ~6 CPU-s per graph)")
    add_workers_flag(p)  # maxflow: the AP-MDM rollouts
    p.add_argument("--teacher-forced", action="store_true",
                   help="maxflow: also the AP-MDM models' teacher-forced step accuracy per size, on every oracle "
                        "transition of the same test graphs")
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def size_range(text: str) -> tuple[int, ...]:
    """argparse type: graph sizes ``A-B`` or ``A,B,...`` within 4..10, the experiment's range.

    Examples
    --------
    >>> size_range("4-7"), size_range("8,10")
    ((4, 5, 6, 7), (8, 10))
    """
    try:
        if "-" in text:
            lo, hi = (int(t) for t in text.split("-", 1))
            sizes = tuple(range(lo, hi + 1))
        else:
            sizes = tuple(sorted({int(t) for t in text.split(",") if t.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes as A-B or A,B,... got {text!r}") from None
    if not sizes or not all(4 <= n <= 10 for n in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be a non-empty range within 4..10, got {text!r}")
    return sizes


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
    if args.task == "maxflow":
        return run_maxflow(args)
    if args.sizes is not None or args.test_per_size is not None or args.teacher_forced or args.workers != 1:
        raise UsageError("--sizes, --test-per-size, --teacher-forced and --workers are options of 'powergen eval "
                         "maxflow'")
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


MAXFLOW_SCHEMA = "powergen.eval.maxflow/1"


def run_maxflow(args: argparse.Namespace) -> int:
    """``powergen eval maxflow``: see the module docstring."""
    from proofs_check.experiments.maxflow import paper_row
    from proofs_check.experiments.maxflow_eval import evaluate_model, resolve_models

    if args.oracle:
        raise UsageError("powergen eval maxflow needs --checkpoint shipped|PATH (the oracle process is checked by "
                         "'powergen maxflow table')")
    if args.lengths is not None or args.count is not None:
        raise UsageError("powergen eval maxflow takes --sizes and --test-per-size, not --lengths / --count")
    from proofs_check.experiments.maxflow_arm import eval_count

    models = resolve_models(args.checkpoint)
    rows: list[dict[str, Any]] = []
    for m in models:
        sizes = args.sizes or tuple(int(n) for n in m.info.get("test_sizes", range(4, 11)))
        count = eval_count(args.test_per_size, edit_log=m.kind == "arm-edit-log")
        res = evaluate_model(m, sizes=sizes, count=count, seed=args.seed, teacher_forced=args.teacher_forced,
                             workers=args.workers)
        rows.append({"name": m.name, "kind": m.kind, "source": m.source, "test_per_size": count,
                     "n_params": int(sum(a.size for a in m.params.values())),
                     "train_sizes": m.info.get("train_sizes"), "cpu_train_minutes": m.info.get("cpu_train_minutes"),
                     "shipped_results": m.info.get("results"), "eval": res, "paper": paper_row(m.kind, sizes)})
    if args.json:
        emit_json({"schema": MAXFLOW_SCHEMA, "task": "maxflow", "seed": args.seed,
                   "test_per_size": args.test_per_size, "models": rows})
        return EXIT_OK
    con = stdout_console()
    for r in rows:
        trained = f", trained on sizes {r['train_sizes']}" if r["train_sizes"] else ""
        con.print(f"{r['name']} ({r['kind']}): {r['n_params']:,} parameters{trained}; {r['source']}",
                  highlight=False, markup=False)
        tf = r["eval"].get("step_accuracy")
        con.print("| nodes | ours | paper | failures |" + (" teacher-forced steps |" if tf else ""))
        con.print("|---|---|---|---|" + ("---|" if tf else ""))
        for n, e in r["eval"]["per_size"].items():
            fails = ", ".join(f"{k} {v}" for k, v in e["failures"].items()) or "-"
            ours = f"{e['accuracy']:.2f} % ({e['correct']}/{e['n']})"
            extra = f" {tf[n]:.2f} % |" if tf else ""
            con.print(f"| {n} | {ours} | {paper_cell(r['paper'][n])} | {fails} |{extra}", highlight=False,
                      markup=False)
        by_op = r["eval"].get("step_accuracy_by_operation")
        if by_op:
            con.print("teacher-forced steps by operation (all sizes): " + ", ".join(
                f"{op} {e['accuracy']:.1f} % of {e['n']}" for op, e in by_op.items()), highlight=False, markup=False)
        con.print(f"evaluated in {r['eval']['cpu_seconds']} CPU-s on {r['test_per_size']} held-out graphs per size, "
                  f"seed {args.seed}", highlight=False, markup=False)
    return EXIT_OK


def paper_cell(paper: str) -> str:
    """A paper cell: ``"N/A"`` as is, a number with a percent sign."""
    return paper if paper == "N/A" else f"{paper} %"
