"""``powergen experiment TASK``: train a task's learned models under a CPU budget, evaluate them, print the table.

Today TASK is ``maxflow``; ``--models`` picks AP-MDM and/or the edit-log ARM (the answer-only ARM is still to come,
issue 15).  The run lives
in ``--run-dir`` (default ``runs/experiment-maxflow-seed<S>``): running the same command again resumes it from its
checkpoint (``checkpoint.npz``, replaced atomically every few CPU-minutes), so the command may be interrupted at any
point.  Progress goes to stderr (one line per log, with the CPU time used and an estimate of what is left);
the table (ours beside the paper's) to stdout, or one JSON object with ``--json``.  ``<run-dir>/result.json`` keeps
the result.  Exit 0 when the run finished and was evaluated; 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from proofs_check.cli_common import EXIT_OK, add_json_flag, add_seed_flag, emit_json, pos_int, stdout_console
from proofs_check.parallel import add_workers_flag

SCHEMA = "powergen.experiment/1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiment", help="train and evaluate a task's learned models (maxflow) under a CPU budget")
    p.add_argument("task", metavar="TASK", choices=["maxflow"], help="the experiment: maxflow")
    p.add_argument("--budget-cpu-minutes", type=float, default=60.0, metavar="M",
                   help="training CPU time per model, in minutes (default 60)")
    p.add_argument("--run-dir", default=None, metavar="DIR",
                   help="run directory (checkpoint, logs, result); default runs/experiment-TASK-seedS")
    p.add_argument("--train-graphs", type=pos_int, default=7000, metavar="N",
                   help="training graphs, equal counts per size 4..10 (default 7000)")
    p.add_argument("--test-per-size", type=pos_int, default=1000, metavar="N",
                   help="held-out graphs per size for the final table (default 1000)")
    p.add_argument("--steps", type=pos_int, default=None, metavar="N", help="updates (default 8,000)")
    p.add_argument("--batch-size", type=pos_int, default=None, metavar="N", help="batch size (default 16)")
    p.add_argument("--eval-every", type=pos_int, default=1000, metavar="N",
                   help="probe: roll out --probe-per-size held-out graphs per size every N updates (default 1000)")
    p.add_argument("--probe-per-size", type=pos_int, default=10, metavar="N",
                   help="held-out graphs per size of each probe during training (default 10)")
    p.add_argument("--processes", type=pos_int, default=1, metavar="P", help="processes for building the data")
    add_workers_flag(p)  # the final AP-MDM evaluation over the held-out graphs
    p.add_argument("--models", type=_models, default=("ap-mdm",), metavar="LIST",
                   help="comma-separated models to train: ap-mdm, arm (the edit-log ARM; its run directory is "
                        "RUN_DIR-arm); default ap-mdm")
    p.add_argument("--model", nargs="+", default=[], metavar="KEY=VALUE", help="override model fields")
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


MODELS = ("ap-mdm", "arm")


def _models(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [n for n in names if n not in MODELS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(MODELS)}, got {text!r}")
    return names


def run(args: argparse.Namespace) -> int:
    import time

    from machines.neural.config import override
    from proofs_check.errors import UsageError
    from proofs_check.experiments import maxflow as mf

    if not args.budget_cpu_minutes > 0:
        raise UsageError(f"--budget-cpu-minutes must be > 0, got {args.budget_cpu_minutes}")
    run_dir = args.run_dir or f"runs/experiment-{args.task}-seed{args.seed}"
    model = override(mf.model_config(), args.model)
    t_over = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size)) if v is not None}
    train = mf.train_config(**t_over)
    budget = 60.0 * args.budget_cpu_minutes
    w0 = time.time()

    def on_log(entry: dict[str, Any]) -> None:
        cpu = entry["cpu"]
        rate = cpu / max(entry["step"], 1)
        left = min(budget - cpu, rate * (train.steps - entry["step"]))
        acc = " ".join(f"{k} {v:.3f}" for k, v in entry["acc"].items())
        print(f"[{time.time() - w0:7.0f}s] update {entry['step']}/{train.steps}  cpu {cpu / 60:.1f} min  "
              f"(~{max(left, 0) / 60:.0f} CPU-min left)  loss {entry['loss']:.4f}  acc {acc}", file=sys.stderr,
              flush=True)

    results: dict[str, Any] = {}
    log = None if args.json else on_log
    if "ap-mdm" in args.models:
        results["ap-mdm"] = mf.run_apmdm(run_dir=run_dir, seed=args.seed, budget_cpu_seconds=budget,
                                         train_graphs=args.train_graphs, test_per_size=args.test_per_size,
                                         probe_per_size=args.probe_per_size, eval_every=args.eval_every,
                                         processes=args.processes, model=model, train=train, on_log=log,
                                         workers=args.workers)
    if "arm" in args.models:
        from proofs_check.experiments import maxflow_arm as ma

        arm_train = mf.train_config(**({"batch_size": 2} | t_over))
        results["arm"] = ma.run_arm(run_dir=run_dir + "-arm", seed=args.seed, budget_cpu_seconds=budget,
                                    train_graphs=args.train_graphs, test_per_size=args.test_per_size,
                                    probe_per_size=args.probe_per_size, eval_every=args.eval_every,
                                    model=ma.arm_model_config(**_fields(model)), train=arm_train, on_log=log)
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
    for n in (str(k) for k in mf.SIZES):
        cells = []
        for res in results.values():
            e = res["eval"]["per_size"][n]
            cells += [f"{e['accuracy']:.2f} % ({e['correct']}/{e['n']})", f"{res['paper'][n]} %"]
        con.print(f"| {n} | " + " | ".join(cells) + " |")
    con.print(f"results: {run_dir}/result.json" + (f", {run_dir}-arm/result.json" if "arm" in results else ""))
    return EXIT_OK


def _fields(model: Any) -> dict[str, Any]:
    """The model fields an override may have changed (the ARM copies them; vocabulary and causality are its own)."""
    d = dict(model.to_json())
    for k in ("vocab_size", "mask_id", "causal"):
        d.pop(k, None)
    if d.get("rotary") is not None:
        d["rotary"] = tuple(d["rotary"])
    return d
