"""The one call behind each command's ``--html FILE`` flag (the commands stay a face, STYLE.md point 15).

Each function builds the page of one finished run straight from its step records (no JSONL file in between) and
writes it atomically; it returns the page's size in bytes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from machines.io import check_writable
from machines.records import RunResult
from machines.trace import iter_records_from_transitions, open_trace
from machines.vocab import BaseVocabulary
from proofs_check.viewer.html import page_data, write_page

__all__ = ["check_html_path", "demo_page", "flow_page", "reduction_page", "sudoku_page", "trace_file_page"]


def _written(out: str | os.PathLike[str], size: int, quiet: bool) -> int:
    """Say on stderr where the page went (stdout stays the command's result, e.g. its ``--json``)."""
    if not quiet:
        print(f"page written to {os.fspath(out)} ({size} bytes)", file=sys.stderr)
    return size


def check_html_path(path: str | os.PathLike[str] | None) -> None:
    """Refuse an unwritable ``--html`` path before a long run (one line, exit 2, as for ``--trace``)."""
    if path is not None:
        check_writable(path)


def trace_file_page(trace_path: str | os.PathLike[str], out: str | os.PathLike[str], *, view: str | None = None,
                    title: str | None = None) -> int:
    """``powergen trace html TRACE -o OUT``: the page of a JSONL trace, read line by line.

    Every malformation of the trace raises :class:`~machines.errors.TraceError` (the CLI's one-line exit 2);
    the trace is not replayed here (``powergen trace replay`` does that).
    """
    reader = open_trace(trace_path)
    records = reader.records()
    data = page_data(paradigm=reader.paradigm, vocab=reader.vocab, start=reader.start, records=records,
                     halt_reason="?", title=title or f"trace {os.path.basename(os.fspath(trace_path))}", view=view)
    data["halt"] = reader.halt_reason or "?"
    return write_page(out, data)


def sudoku_page(out: str | os.PathLike[str], traj: Any, *, title: str | None = None, quiet: bool = False) -> int:
    """The page of a :class:`~reductions.tasks.sudoku.SudokuTrajectory` (halt: the fixed point)."""
    from reductions.tasks.sudoku import iter_transitions
    from reductions.tasks.sudoku_grid import SUDOKU_VOCAB, format_grid

    data = page_data(paradigm="ap-mdm", vocab=SUDOKU_VOCAB, start=traj.states[0],
                     records=iter_records_from_transitions(iter_transitions(traj)), halt_reason="fixed-point",
                     title=title or f"Sudoku {format_grid(traj.puzzle)}")
    return _written(out, write_page(out, data), quiet)


def flow_page(out: str | os.PathLike[str], run: Any, *, title: str | None = None, quiet: bool = False) -> int:
    """The page of a :class:`~reductions.tasks.maxflow.FlowRun`."""
    from reductions.tasks.maxflow import FLOW_VOCAB, encode_instance

    inst = run.instance
    data = page_data(paradigm="ap-mdm", vocab=FLOW_VOCAB, start=encode_instance(inst), records=run.records,
                     halt_reason=run.halt_reason,
                     title=title or f"max-flow: {len(inst.nodes)} nodes, {len(inst.edges)} edges, "
                                    f"s={inst.s}, t={inst.t}")
    return _written(out, write_page(out, data), quiet)


def demo_page(out: str | os.PathLike[str], paradigm: str, vocab: BaseVocabulary, x0: np.ndarray, res: RunResult,
              *, title: str | None = None, quiet: bool = False) -> int:
    """The page of a machine demo run (its records must have been kept)."""
    data = page_data(paradigm=paradigm, vocab=vocab, start=x0, records=res.records or (),
                     halt_reason=res.halt_reason, title=title or f"{paradigm} demo")
    return _written(out, write_page(out, data), quiet)


def reduction_page(out: str | os.PathLike[str], theorem: str, program: Any, inst: Any, res: Any, *,
                   policy: str | None, max_length: int, word_bits: int, quiet: bool = False) -> int:
    """The page of a Theorem 1 / Theorem 4 run (``res.records`` kept); the vocabulary is the construction's."""
    from reductions.pram_to_apmdm import build_apmdm
    from reductions.pram_to_mdm import build_mdm

    build = build_mdm if theorem == "thm1" else build_apmdm
    con, x0 = build(program, inst, policy=policy, max_length=max_length, word_bits=word_bits)
    data = page_data(paradigm="mdm" if theorem == "thm1" else "ap-mdm", vocab=con.vocab, start=x0,
                     records=res.records or (), halt_reason=res.halt_reason,
                     title=f"{theorem}: {program.name} ({res.policy})")
    return _written(out, write_page(out, data), quiet)
