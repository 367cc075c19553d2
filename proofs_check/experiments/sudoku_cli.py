"""Command-line glue of the Sudoku experiment: ``powergen experiment sudoku``, ``powergen eval sudoku`` and
``powergen sudoku solve PUZZLE --model``.  Handlers return exit codes; bad input raises a typed error (exit 2).

* ``experiment sudoku [--budget-cpu-minutes M] [--models LIST] [--train-file F] [--test-file F] [--test-count N]
  [--cap-multiple X] [--tf-count N] [--seed S] [--run-dir D] [--json]`` -- :func:`run_sudoku`;
* ``eval sudoku --checkpoint shipped|PATH [--count N] [--cap-multiple X] [--json]`` (or ``--oracle``: the
  sequence-only oracle through the same evaluation, which must score 100 %) -- :func:`run_eval`; exit 0 when the
  evaluation ran (the accuracy is the result, not a pass/fail);
* ``sudoku solve PUZZLE --model shipped|PATH [--json]`` -- :func:`run_solve_model`: the learned AP-MDM runs the
  puzzle on the exact machine (every step through ``g``), the final grid is judged by the independent validator and
  the trajectory compared with the oracle's; exit 0 when solved exactly, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from proofs_check.cli_common import EXIT_FAILED, EXIT_OK, emit_json, pos_int, stdout_console, training_progress
from proofs_check.errors import UsageError

__all__ = ["add_sudoku_flags", "run_eval", "run_solve_model", "run_sudoku"]

DEFAULT_CAP_MULTIPLE = 2.0


def _pos_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (v > 0 and np.isfinite(v)):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return v


def add_sudoku_flags(p: argparse.ArgumentParser) -> None:
    """The flags of ``experiment sudoku`` (ignored by ``experiment maxflow``)."""
    p.add_argument("--train-file", default=None, metavar="F",
                   help="sudoku: training puzzles, one per line (default reductions/tasks/data/sudoku_train_100.txt)")
    p.add_argument("--test-file", default=None, metavar="F",
                   help="sudoku: test puzzles (default reductions/tasks/data/sudoku_test_1000.txt)")
    p.add_argument("--test-count", type=pos_int, default=None, metavar="N",
                   help="sudoku: evaluate on the first N test puzzles (default all)")
    p.add_argument("--cap-multiple", type=_pos_float, default=DEFAULT_CAP_MULTIPLE, metavar="X",
                   help="sudoku: rollout step cap = X times the oracle's trajectory length (default 2)")
    p.add_argument("--tf-count", type=pos_int, default=20, metavar="N",
                   help="sudoku: teacher-forced accuracy on every transition of the first N test puzzles (default 20)")


def _eval_progress(label: str, every_seconds: float = 15.0) -> Any:
    """``on_step(step, n_running)`` for a batched rollout: one stderr line at most every ``every_seconds``."""
    w0 = time.time()
    last = [w0]

    def on_step(step: int, running: int) -> None:
        now = time.time()
        if now - last[0] >= every_seconds:
            last[0] = now
            print(f"[{now - w0:7.0f}s] {label}: batched step {step}, {running} puzzle(s) still running",
                  file=sys.stderr, flush=True)

    return on_step


def run_sudoku(args: argparse.Namespace) -> int:
    """``powergen experiment sudoku``."""
    from machines.neural.config import override
    from proofs_check.experiments import sudoku as sx
    from proofs_check.experiments import sudoku_run as sr

    models = args.models or sr.MODELS
    run_dir = args.run_dir or f"runs/experiment-sudoku-seed{args.seed}"
    t_over = {k: v for k, v in (("steps", args.steps), ("batch_size", args.batch_size)) if v is not None}
    train = sx.train_config(**t_over)
    budget = 60.0 * args.budget_cpu_minutes
    kw: dict[str, Any] = {f"model_{k.replace('-', '_')}": override(sr.default_config(k), args.model)
                          for k in models}
    res = sr.run_experiment(run_dir=run_dir, models=models, train_file=args.train_file or sx.TRAIN_FILE,
                            test_file=args.test_file or sx.TEST_FILE, test_count=args.test_count, seed=args.seed,
                            budget_cpu_seconds=budget, train=train, cap_multiple=args.cap_multiple,
                            tf_count=args.tf_count, probe_count=min(args.probe_per_size, 10),
                            eval_every=args.eval_every, processes=args.processes,
                            on_log=None if args.json else training_progress(budget, train.steps),
                            on_eval_step=None if args.json else _eval_progress("final evaluation"),
                            command=_command(args, run_dir, models), **kw)
    if args.json:
        slim = {k: {kk: vv for kk, vv in v.items() if kk != "history"} for k, v in res["models"].items()}
        emit_json({"schema": "powergen.experiment/1", "task": "sudoku", "run_dir": run_dir} | res | {"models": slim})
        return EXIT_OK
    con = stdout_console()
    con.print(f"sudoku: {res['train_puzzles']} training puzzles, {res['test_puzzles']} test puzzles, cap "
              f"{args.cap_multiple:g} x the oracle's steps")
    con.print("| model | params | updates | train CPU-min | exact | valid-but-wrong | stuck at cap | other | "
              "teacher-forced | paper |")
    con.print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, r in res["models"].items():
        e = r["eval"]
        oc = e["outcomes"]
        other = e["n"] - e["exact"] - oc.get("valid-but-wrong", 0) - oc.get("stuck-at-cap", 0)
        tf = e.get("teacher_forced", {}).get("accuracy")
        con.print(f"| {kind} | {r['n_params']:,} | {r['steps_done']} | {r['cpu_train_seconds'] / 60:.1f} | "
                  f"{e['accuracy']:.2f} % ({e['exact']}/{e['n']}) | {oc.get('valid-but-wrong', 0)} | "
                  f"{oc.get('stuck-at-cap', 0)} | {other} | {'-' if tf is None else f'{tf:.2f} %'} | "
                  f"{r['paper']} |")
    con.print(f"results: {run_dir}/result.json")
    return EXIT_OK


def _command(args: argparse.Namespace, run_dir: str, models: tuple[str, ...]) -> str:
    """The command line of this run in canonical form (recorded in each ``result.json``; shipping copies it)."""
    parts = ["powergen experiment sudoku", f"--models {','.join(models)}", f"--seed {args.seed}",
             f"--budget-cpu-minutes {args.budget_cpu_minutes:g}"]
    for flag, val in (("--steps", args.steps), ("--batch-size", args.batch_size), ("--train-file", args.train_file),
                      ("--test-file", args.test_file), ("--test-count", args.test_count)):
        if val is not None:
            parts.append(f"{flag} {val}")
    parts += [f"--cap-multiple {args.cap_multiple:g}", f"--tf-count {args.tf_count}",
              f"--eval-every {args.eval_every}", f"--probe-per-size {args.probe_per_size}",
              f"--processes {args.processes}", f"--run-dir {run_dir}"]
    if args.model:
        parts.append("--model " + " ".join(args.model))
    return " ".join(parts)


def run_eval(args: argparse.Namespace) -> int:
    """``powergen eval sudoku``."""
    from proofs_check.experiments import sudoku as sx
    from proofs_check.experiments import sudoku_run as sr
    from proofs_check.experiments.decoders import oracle_batch

    if args.lengths is not None:
        raise UsageError("eval sudoku: --lengths does not apply (Sudoku has one size); use --count")
    puzzles = sx.read_puzzles(sx.TEST_FILE)[:args.count or 1000]
    cap = getattr(args, "cap_multiple", DEFAULT_CAP_MULTIPLE)
    out: dict[str, Any] = {"schema": "powergen.eval.sudoku/1", "count": len(puzzles), "cap_multiple": cap,
                           "models": {}}
    if args.oracle:
        from reductions.tasks.sudoku_policy import sudoku_predictor

        out["models"]["oracle"] = sx.evaluate_apmdm(oracle_batch(sudoku_predictor), puzzles, cap_multiple=cap)
    else:
        for m in sr.load_model(args.checkpoint):
            r = sr.evaluate_kind(m.kind, m.config, m.params, puzzles, cap_multiple=cap,
                                 on_step=None if args.json else _eval_progress(f"eval {m.name}"))
            out["models"][m.name] = r | {"kind": m.kind, "source": m.source, "updates": m.updates}
    if args.json:
        emit_json(out)
        return EXIT_OK
    con = stdout_console()
    for kind, r in out["models"].items():
        con.print(f"{kind}: {r['accuracy']:.2f} % exact ({r['exact']}/{r['n']}); outcomes {r['outcomes']}"
                  + (f"; stuck at the cap ({cap:g} x oracle steps): {r['stuck_at_cap']}" if "stuck_at_cap" in r
                     else ""))
    return EXIT_OK


def run_solve_model(args: argparse.Namespace) -> int:
    """``powergen sudoku solve PUZZLE --model shipped|PATH``."""
    from proofs_check.experiments import sudoku as sx
    from proofs_check.experiments import sudoku_run as sr
    from proofs_check.experiments.decoders import apmdm_rollout
    from reductions.tasks.sudoku import decode_values, encode_grid, solve
    from reductions.tasks.sudoku_grid import CONTEXT, SUDOKU_VOCAB, format_grid, parse_puzzle

    grid = parse_puzzle(args.puzzle)
    models = sr.load_model(args.model, kinds=sr.APMDM)
    m = min(models, key=lambda x: (x.kind != "ap-mdm-peer", x.name != x.kind))  # the peer model, unsuffixed first
    puzzle = "".join(str(int(v)) for v in grid)
    oracle = solve(puzzle, max_steps=args.max_steps)
    cap = max(1, int(np.ceil(DEFAULT_CAP_MULTIPLE * oracle.steps)))
    states: list[np.ndarray] = []

    def keep(idx: list[int], xs: list[np.ndarray], preds: list[Any]) -> None:
        states.append(xs[0])

    roll = apmdm_rollout(sx._fixed_length(sx.neural_predictor(m.config, m.params)), [encode_grid(grid)],
                         vocab=SUDOKU_VOCAB, max_steps=cap, max_length=CONTEXT, observe=keep)[0]
    traj = [*states[:roll.steps], roll.final] if roll.steps else [roll.final]
    same = len(traj) == oracle.states.shape[0] and all(np.array_equal(a, b) for a, b in zip(traj, oracle.states,
                                                                                               strict=True))
    first = None if same else next((t for t, (a, b) in enumerate(zip(traj, oracle.states, strict=False))
                                    if not np.array_equal(a, b)), min(len(traj), oracle.states.shape[0]))
    final = decode_values(roll.final) if roll.final.shape[0] == CONTEXT else np.zeros(81, np.int8)
    if roll.final.shape[0] != CONTEXT:
        verdict = "length-changed"
    elif roll.halt_reason in ("max-steps", "illegal"):
        verdict = "stuck-at-cap" if roll.halt_reason == "max-steps" else "illegal"
    else:
        verdict = sx.judge_grid(puzzle, final, oracle.solution).replace("invalid", "halted-unsolved")
    doc = {"schema": "powergen.sudoku.solve-model/1", "model": m.kind, "source": m.source, "puzzle": format_grid(grid),
           "outcome": verdict, "halt": roll.halt_reason, "error": roll.error, "steps": roll.steps,
           "oracle_steps": oracle.steps, "cap": cap, "matched_oracle": same, "first_difference_step": first,
           "final": "".join(str(int(v)) if 0 <= v <= 9 else "?" for v in final)}
    if args.json:
        emit_json(doc)
    else:
        con = stdout_console()
        g = str(doc["final"])
        con.print("\n".join(" ".join(g[9 * r:9 * r + 9]) for r in range(9)))
        con.print(f"{m.kind} ({m.source}): {verdict}, halt {roll.halt_reason} after {roll.steps} AP-MDM steps "
                  f"(oracle {oracle.steps}, cap {cap}); every step through g")
        con.print("the trajectory matched the oracle's step for step" if same else
                  f"the trajectory differs from the oracle's (first at state {first})")
    return EXIT_OK if verdict == "exact" else EXIT_FAILED
