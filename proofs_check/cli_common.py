"""Shared helpers of the CLI commands: JSON output, input files, seeds, progress bars, one-line errors.

The CLI is a face, not a brain (STYLE.md point 15): commands parse arguments, call library functions and print.
Results go to stdout, progress to stderr (transient, and off for ``--json`` or a non-terminal).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from proofs_check.errors import UsageError
from proofs_check.inputs import load_json_file, nonneg_int, pos_int

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "add_json_flag", "add_seed_flag", "dumps", "emit_json",
           "load_json_file", "nonneg_int", "pos_int", "progress", "require", "stderr_console", "stdout_console",
           "training_progress"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Console(Console):
    """A rich Console whose closed pipe raises ``BrokenPipeError`` (rich's default exits with status 1), so
    :func:`proofs_check.cli.main` ends the run the one way it ends every closed pipe (quietly, exit 0)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def stdout_console() -> Console:
    return _Console(file=sys.stdout, soft_wrap=True)


def stderr_console() -> Console:
    return _Console(file=sys.stderr, soft_wrap=True)


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")


def add_seed_flag(p: argparse.ArgumentParser, default: int = 0) -> None:
    p.add_argument("--seed", type=nonneg_int, default=default, help=f"random seed (default {default})")


def dumps(obj: Any) -> str:
    """Deterministic JSON: insertion order kept, no NaN, compact separators."""
    return json.dumps(obj, allow_nan=False, separators=(", ", ": "), default=_json_default)


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple | set | frozenset):
        return sorted(o) if isinstance(o, set | frozenset) else list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def emit_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def require(cond: bool, message: str) -> None:
    if not cond:
        raise UsageError(message)


@contextmanager
def progress(enabled: bool, description: str, total: int | None) -> Iterator[Any]:
    """A transient rich progress bar on stderr; yields an ``advance()`` callable (a no-op when disabled)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr_console(), transient=True) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n=1: prog.advance(task, n)


def training_progress(budget_cpu_seconds: float, steps: int, *, kind: str | None = None,
                      clock: Callable[[], float] = time.time) -> Callable[[dict[str, Any]], None]:
    """``on_log(entry)`` for a ``powergen experiment`` trainer: one stderr line per log entry, led by the model kind
    (``kind``, or the entry's ``"kind"``) and the wall time since this call, then the update, the CPU time used, an
    estimate of the CPU time left (by the rate so far, capped by the budget), the loss and the accuracies::

        [ap-mdm          35s] update 100/6000  cpu 2.0 min  (~118 CPU-min left)  loss 1.2345  acc value 0.500
    """
    w0 = clock()

    def on_log(entry: dict[str, Any]) -> None:
        cpu = entry["cpu"]
        left = min(budget_cpu_seconds - cpu, cpu / max(entry["step"], 1) * (steps - entry["step"]))
        acc = " ".join(f"{k} {v:.3f}" for k, v in entry["acc"].items())
        who = entry.get("kind", kind) or "model"
        print(f"[{who:<11}{clock() - w0:7.0f}s] update {entry['step']}/{steps}  cpu {cpu / 60:.1f} min  "
              f"(~{max(left, 0) / 60:.0f} CPU-min left)  loss {entry['loss']:.4f}  acc {acc}", file=sys.stderr,
              flush=True)

    return on_log
