"""``powergen experiment TASK``: train a task's learned models under a CPU budget, evaluate them, print the table.

TASK is ``maxflow`` or ``sudoku`` (:mod:`proofs_check.experiments.sudoku_cli`: ``--models
ap-mdm,ap-mdm-peer,ao-mdm,arm``, ``--train-file``, ``--cap-multiple``, ...).  For maxflow ``--models`` picks AP-MDM,
the edit-log ARM (``arm``, run directory ``RUN_DIR-arm``)
and the answer-only ARM (``arm-answer``, ``RUN_DIR-arm-answer``); all three by default, each with its own schedule
(the edit-log ARM: ``maxflow_arm.ARM_STEPS`` updates of ``ARM_BATCH_SIZE``) unless ``--steps`` /
``--batch-size`` are given.  ``--train-sizes 4-7 --test-sizes 8-10`` is the length-generalisation split
(default 4-10 for both).  ``--ship`` trains nothing: it promotes the finished runs of
``--models`` (default: the runs that exist) to shipped models (:func:`proofs_check.experiments.ship.ship_run`; for
sudoku the runs
``RUN_DIR/<kind>``, :mod:`proofs_check.experiments.sudoku_ship`, a model trained on another file than the default
shipped as ``<kind>-train<N>``); ``--plot DIR`` trains nothing
and draws the runs' learning curves and accuracy (by size for maxflow; for sudoku
:mod:`proofs_check.experiments.sudoku_plots`, the runs in ``RUN_DIR/<kind>``) into ``DIR``.  The run lives
in ``--run-dir`` (default ``runs/experiment-maxflow-seed<S>``): running the same command again resumes it from its
checkpoint (``checkpoint.npz``, replaced atomically every few CPU-minutes), so the command may be interrupted at any
point.  Progress goes to stderr (one line per log, with the CPU time used and an estimate of what is left);
the table (ours beside the paper's) to stdout, or one JSON object with ``--json``.  ``<run-dir>/result.json`` keeps
the result.  Exit 0 when the run finished and was evaluated; 2 on bad input; 130 when Ctrl-C or SIGTERM stopped
the training (the trainer saves the checkpoint first, :class:`~proofs_check.experiments.trainer.TrainingInterrupted`;
the same command resumes).  ``--ship-as KEY-LABEL`` (maxflow, one model) ships a run under another name than its
key, e.g. a variant of the default model.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from proofs_check.cli_common import (
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    pos_int,
    stdout_console,
    training_progress,
)
from proofs_check.commands.eval import paper_cell, size_range
from proofs_check.parallel import add_workers_flag

SCHEMA = "powergen.experiment/1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiment",
                       help="train and evaluate a task's learned models (maxflow, sudoku) under a CPU budget")
    p.add_argument("task", metavar="TASK", choices=["maxflow", "sudoku"], help="the experiment: maxflow or sudoku")
    p.add_argument("--budget-cpu-minutes", type=float, default=60.0, metavar="M",
                   help="training CPU time per model, in minutes (default 60)")
    p.add_argument("--run-dir", default=None, metavar="DIR",
                   help="run directory (checkpoint, logs, result); default runs/experiment-TASK-seedS")
    p.add_argument("--train-graphs", type=pos_int, default=7000, metavar="N",
                   help="training graphs, equal counts per size 4..10 (default 7000)")
    p.add_argument("--test-per-size", type=pos_int, default=None, metavar="N",
                   help="held-out graphs per size for the final table, every model (default 1000; the edit-log "
                        "ARM 30, its evaluation costs ~6 CPU-s per graph)")
    p.add_argument("--steps", type=pos_int, default=None, metavar="N",
                   help="updates (default: maxflow 8,000, its edit-log ARM 2,400; sudoku 20,000; the CPU budget may "
                        "stop a run first)")
    p.add_argument("--batch-size", type=pos_int, default=None, metavar="N",
                   help="batch size (default: maxflow 16, its edit-log ARM 2; sudoku 32)")
    p.add_argument("--eval-every", type=pos_int, default=1000, metavar="N",
                   help="probe: roll out --probe-per-size held-out graphs per size every N updates (default 1000)")
    p.add_argument("--probe-per-size", type=pos_int, default=10, metavar="N",
                   help="held-out graphs per size of each probe during training (default 10)")
    p.add_argument("--processes", type=pos_int, default=1, metavar="P", help="processes for building the data")
    p.add_argument("--models", type=_models, default=None, metavar="LIST",
                   help="comma-separated models to train: maxflow: ap-mdm, arm (the edit-log ARM; its run directory "
                        "is RUN_DIR-arm), arm-answer (prompt -> cut edges; RUN_DIR-arm-answer), default all three; "
                        "sudoku: ap-mdm, ap-mdm-peer, ao-mdm, arm (default all); with --ship or --plot the default "
                        "is the runs that exist")
    p.add_argument("--train-sizes", type=size_range, default=None, metavar="A-B",
                   help="graph sizes of the training set, e.g. 4-7 (default 4-10)")
    p.add_argument("--test-sizes", type=size_range, default=None, metavar="A-B",
                   help="graph sizes of the final evaluation, e.g. 8-10 (default 4-10)")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--ship", action="store_true",
                     help="train nothing: promote the finished runs of --models to shipped models")
    act.add_argument("--plot", default=None, metavar="DIR",
                     help="train nothing: write learning curves and accuracy (by size for maxflow) of the runs of "
                          "--models to DIR (needs matplotlib, the 'plot' extra)")
    p.add_argument("--ship-to", default=None, metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--ship-as", default=None, metavar="NAME",
                   help="maxflow, with --ship and one model: ship it as NAME, the model key plus a label, e.g. "
                        "ap-mdm-prope for a variant of the default model (default: the key); -trainA-B is added "
                        "for a --train-sizes split")
    add_workers_flag(p)  # the final AP-MDM evaluation over the held-out graphs
    p.add_argument("--model", nargs="+", default=[], metavar="KEY=VALUE", help="override model fields")
    from proofs_check.experiments.sudoku_cli import add_sudoku_flags

    add_sudoku_flags(p)
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


MODELS = ("ap-mdm", "arm", "arm-answer")
SUDOKU_MODELS = ("ap-mdm", "ap-mdm-peer", "ao-mdm", "arm")
SUFFIX = {"ap-mdm": "", "arm": "-arm", "arm-answer": "-arm-answer"}


def _models(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    known = dict.fromkeys(MODELS + SUDOKU_MODELS)
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(known)}, got {text!r}")
    return names


def run(args: argparse.Namespace) -> int:
    from machines.neural.config import override
    from proofs_check.errors import UsageError
    from proofs_check.experiments import maxflow as mf
    from proofs_check.experiments import maxflow_arm as ma

    if not args.budget_cpu_minutes > 0:
        raise UsageError(f"--budget-cpu-minutes must be > 0, got {args.budget_cpu_minutes}")
    if args.task == "sudoku":
        if args.train_sizes is not None or args.test_sizes is not None:
            raise UsageError("--train-sizes and --test-sizes are options of 'powergen experiment maxflow'")
        if args.ship_as is not None:
            raise UsageError("--ship-as is an option of 'powergen experiment maxflow' (sudoku names a model trained "
                             "on another file KIND-trainN by itself)")
        if args.ship:
            return _ship_sudoku(args)
        if args.plot is not None:
            from proofs_check.experiments.sudoku_plots import plot_runs as sudoku_plot_runs

            sudoku_dir = args.run_dir or f"runs/experiment-sudoku-seed{args.seed}"
            kinds = args.models or SUDOKU_MODELS
            if [k for k in kinds if k not in SUDOKU_MODELS]:
                raise UsageError(f"--models for sudoku: {', '.join(SUDOKU_MODELS)}; got {','.join(kinds)}")
            return _report_plots(args, sudoku_plot_runs({k: f"{sudoku_dir}/{k}" for k in kinds}, args.plot))
        from proofs_check.experiments.sudoku_cli import run_sudoku

        return run_sudoku(args)
    run_dir = args.run_dir or f"runs/experiment-{args.task}-seed{args.seed}"
    if args.models is None and (args.ship or args.plot is not None):  # the runs that exist, else all (refused)
        args.models = tuple(m for m in MODELS if Path(run_dir + SUFFIX[m]).is_dir()) or MODELS
    args.models = args.models or MODELS
    if [m for m in args.models if m not in MODELS]:
        raise UsageError(f"--models for maxflow: {', '.join(MODELS)}; got {','.join(args.models)}")
    model = override(mf.model_config(), args.model)
    t_over = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size)) if v is not None}
    train = mf.train_config(**t_over)
    budget = 60.0 * args.budget_cpu_minutes
    if args.ship_as is not None:
        _check_ship_as(args)
    if args.ship:
        return _ship(args, run_dir)
    if args.plot is not None:
        return _plot(args, run_dir)
    results: dict[str, Any] = {}

    def log(kind: str, steps: int) -> Any:  # one stderr line per trainer log, led by the model kind
        return None if args.json else training_progress(budget, steps, kind=kind)

    sizes: dict[str, Any] = {"train_sizes": args.train_sizes or mf.SIZES, "test_sizes": args.test_sizes or mf.SIZES}
    command = _command(args, run_dir)
    if "ap-mdm" in args.models:
        results["ap-mdm"] = mf.run_apmdm(run_dir=run_dir, seed=args.seed, budget_cpu_seconds=budget,
                                         train_graphs=args.train_graphs,
                                         test_per_size=ma.eval_count(args.test_per_size, edit_log=False),
                                         probe_per_size=args.probe_per_size, eval_every=args.eval_every,
                                         processes=args.processes, model=model, train=train,
                                         on_log=log("ap-mdm", train.steps), command=command, workers=args.workers,
                                         **sizes)
    if "arm" in args.models:
        arm_train = mf.train_config(**({"batch_size": ma.ARM_BATCH_SIZE, "steps": ma.ARM_STEPS} | t_over))
        results["arm"] = ma.run_arm(run_dir=run_dir + "-arm", seed=args.seed, budget_cpu_seconds=budget,
                                    train_graphs=args.train_graphs,
                                    test_per_size=ma.eval_count(args.test_per_size, edit_log=True),
                                    probe_per_size=args.probe_per_size, eval_every=args.eval_every,
                                    model=ma.arm_model_config(**_fields(model)), train=arm_train,
                                    on_log=log("arm", arm_train.steps), command=command, **sizes)
    if "arm-answer" in args.models:
        from proofs_check.experiments import maxflow_answer as mans

        results["arm-answer"] = mans.run_answer(
            run_dir=run_dir + "-arm-answer", seed=args.seed, budget_cpu_seconds=budget,
            train_graphs=args.train_graphs, test_per_size=ma.eval_count(args.test_per_size, edit_log=False),
            probe_per_size=args.probe_per_size,
            eval_every=args.eval_every, model=mans.answer_model_config(**_fields(model)), train=train,
            on_log=log("arm-answer", train.steps),
            command=command, **sizes)
    if args.json:
        emit_json({"schema": SCHEMA, "task": args.task, "run_dir": run_dir, "models": results})
        return EXIT_OK
    con = stdout_console()
    for kind, res in results.items():
        con.print(f"maxflow {kind}: {res['n_params']:,} parameters, {res['steps_done']} updates, "
                  f"{res['cpu_train_seconds'] / 60:.1f} training CPU-min (stopped by {res['stopped']}); "
                  f"{res['test_per_size']} held-out graphs per size")
    con.print("| nodes | " + " | ".join(f"{k} ours | {k} paper" for k in results) + " |")
    con.print("|---|" + "---|---|" * len(results))
    for n in (str(k) for k in sizes["test_sizes"]):
        cells = []
        for res in results.values():
            e = res["eval"]["per_size"][n]
            cells += [f"{e['accuracy']:.2f} % ({e['correct']}/{e['n']})", paper_cell(res['paper'][n])]
        con.print(f"| {n} | " + " | ".join(cells) + " |")
    con.print("results: " + ", ".join(f"{run_dir}{SUFFIX[k]}/result.json" for k in results))
    return EXIT_OK


def _command(args: argparse.Namespace, run_dir: str) -> str:
    """The command line of this run, in canonical form (recorded in result.json and in a shipped manifest)."""
    parts = ["powergen experiment", args.task, f"--budget-cpu-minutes {args.budget_cpu_minutes:g}",
             f"--seed {args.seed}", f"--run-dir {run_dir}", f"--models {','.join(args.models)}",
             f"--train-graphs {args.train_graphs}", f"--eval-every {args.eval_every}",
             f"--probe-per-size {args.probe_per_size}"]
    for flag, val in (("--test-per-size", args.test_per_size), ("--steps", args.steps),
                      ("--batch-size", args.batch_size)):
        if val is not None:
            parts.append(f"{flag} {val}")
    for flag, val in (("--train-sizes", args.train_sizes), ("--test-sizes", args.test_sizes)):
        if val is not None:
            parts.append(f"{flag} {','.join(str(n) for n in val)}")
    if args.model:
        parts.append("--model " + " ".join(args.model))
    return " ".join(parts)


def _check_ship_as(args: argparse.Namespace) -> None:
    """``--ship-as NAME`` needs ``--ship`` and one model, and NAME must be that model's key, a dash and a label of
    lower-case letters, digits and dashes (so that a shipped name always says which model it is).  NAME may not be
    read as another model's name (``arm-answer`` is not a label of ``arm``: it would replace the answer-only ARM),
    and the label may not contain ``trainA-B``, which names a size split and is added from ``--train-sizes``
    (:func:`ship_name`)."""
    import re

    from proofs_check.errors import UsageError

    if not args.ship or len(args.models) != 1:
        raise UsageError("--ship-as names one shipped model: use it with --ship and one --models entry")
    key = args.models[0]
    if not re.fullmatch(re.escape(key) + r"-[a-z0-9][a-z0-9-]*", args.ship_as) or args.ship_as.endswith("-"):
        raise UsageError(f"--ship-as {args.ship_as!r}: expected {key}-LABEL, LABEL of lower-case letters, digits "
                         f"and dashes (e.g. {key}-prope)")
    other = [m for m in MODELS if m != key and (args.ship_as == m or args.ship_as.startswith(m + "-"))]
    if other:
        raise UsageError(f"--ship-as {args.ship_as!r} reads as a name of the model {other[0]}: choose another "
                         f"label for {key}")
    if re.search(r"(^|-)train[0-9]", args.ship_as[len(key) + 1:]):
        raise UsageError(f"--ship-as {args.ship_as!r}: -trainA-B names a size split and is added from "
                         f"--train-sizes; give a label without it")


def ship_name(model: str, train_sizes: tuple[int, ...] | None) -> str:
    """The shipped name of ``model`` (a model key, or the ``--ship-as`` name) trained on ``train_sizes``: that name,
    plus ``-trainA-B`` for a split.

    Examples
    --------
    >>> ship_name("ap-mdm", None), ship_name("arm", (4, 5, 6, 7))
    ('ap-mdm', 'arm-train4-7')
    """
    from proofs_check.experiments.maxflow import SIZES

    if train_sizes is None or tuple(train_sizes) == SIZES:
        return model
    return f"{model}-train{train_sizes[0]}-{train_sizes[-1]}"


def _ship(args: argparse.Namespace, run_dir: str) -> int:
    from proofs_check.experiments.ship import ship_run

    shipped: dict[str, str] = {}
    for m in args.models:
        name = ship_name(m if args.ship_as is None else args.ship_as, args.train_sizes)
        shipped[m] = str(ship_run(run_dir + SUFFIX[m], name=name, task=args.task, root=args.ship_to))
    if args.json:
        emit_json({"schema": SCHEMA, "task": args.task, "shipped": shipped})
    else:
        for m, where in shipped.items():
            stdout_console().print(f"shipped {m}: {where}", highlight=False, markup=False)
    return EXIT_OK


def _ship_sudoku(args: argparse.Namespace) -> int:
    """``experiment sudoku --ship``: the runs ``RUN_DIR/<kind>`` to the shipped Sudoku weights
    (:mod:`proofs_check.experiments.sudoku_ship`; a model trained on another file than the default ships as
    ``<kind>-train<N>``)."""
    from proofs_check.errors import UsageError
    from proofs_check.experiments.sudoku_ship import ship_runs

    run_dir = args.run_dir or f"runs/experiment-sudoku-seed{args.seed}"
    # without --models, as for maxflow: the runs that exist, else all (each then refused as missing)
    kinds = args.models or tuple(k for k in SUDOKU_MODELS if (Path(run_dir) / k).is_dir()) or SUDOKU_MODELS
    if [k for k in kinds if k not in SUDOKU_MODELS]:
        raise UsageError(f"--models for sudoku: {', '.join(SUDOKU_MODELS)}; got {','.join(kinds)}")
    to = None if args.ship_to is None else Path(args.ship_to) / "sudoku"
    shipped = ship_runs(run_dir, kinds, train_file=args.train_file, directory=to)
    if args.json:
        emit_json({"schema": SCHEMA, "task": args.task,
                   "shipped": {k: {"name": name, "path": str(path)} for k, (name, path) in shipped.items()}})
    else:
        for k, (name, path) in shipped.items():
            stdout_console().print(f"shipped {k} as {name}: {path}", highlight=False, markup=False)
    return EXIT_OK


def _plot(args: argparse.Namespace, run_dir: str) -> int:
    from proofs_check.experiments.maxflow_plots import plot_runs

    return _report_plots(args, plot_runs({m: run_dir + SUFFIX[m] for m in args.models}, args.plot))


def _report_plots(args: argparse.Namespace, written: list[str]) -> int:
    if args.json:
        emit_json({"schema": SCHEMA, "task": args.task, "plots": written})
    else:
        for path in written:
            stdout_console().print(f"plot written: {path}", highlight=False, markup=False)
    return EXIT_OK


def _fields(model: Any) -> dict[str, Any]:
    """The model fields an override may have changed (the ARM copies them; vocabulary and causality are its own)."""
    d = dict(model.to_json())
    for k in ("vocab_size", "mask_id", "causal"):
        d.pop(k, None)
    if d.get("rotary") is not None:
        d["rotary"] = tuple(d["rotary"])
    return d

