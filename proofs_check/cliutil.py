"""Shared helpers of the CLI commands: JSON output, input files, seeds, progress bars, one-line errors.

The CLI is a face, not a brain (STYLE.md point 15): commands parse arguments, call library functions and print.
Results go to stdout, progress to stderr (transient, and off for ``--json`` or a non-terminal).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from proofs_check.errors import InputFileError, UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def stdout_console() -> Console:
    return Console(file=sys.stdout, soft_wrap=True)


def stderr_console() -> Console:
    return Console(file=sys.stderr, soft_wrap=True)


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")


def add_seed_flag(p: argparse.ArgumentParser, default: int = 0) -> None:
    p.add_argument("--seed", type=nonneg_int, default=default, help=f"random seed (default {default})")


def nonneg_int(text: str) -> int:
    """argparse type: an integer >= 0 (one clear error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def pos_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


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


def load_json_file(path: str) -> Any:
    """Read a JSON file; every failure becomes one :class:`InputFileError` line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputFileError(f"{path} is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


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
