"""JSONL traces of machine runs: write, read, and replay (re-check every step).

Format ``powergen.trace/1``, one JSON object per line, tokens as names:

* header ``{"schema", "paradigm", "vocab": [names], "mask": name, "bos": name|null, "eos": name|null, "start":
  [names]}``; for a :class:`~machines.vocab.WordVocabulary` ``"vocab"`` lists the specials and ``"words": [lo, hi]``
  is added.  ``"start"`` (the start sequence x_0; optional when reading) anchors step 1's ``x`` the way every later
  ``x`` is anchored by the previous ``x_next``;
* one line per step ``{"t", "x", "y", ...controls, "x_next"}`` with ``"unmask"`` (MDM family) or ``"remask",
  "insert", "delete"`` (AP-MDM) as 0/1 lists; an ARM step has no control;
* a last line ``{"halt": reason, "steps": number of step lines, "max_length": peak length}``.

Traces are written in a **canonical form** (the project's choice) so that every token and bit in the file matters:
``y`` is MASK wherever the step does not use it (an ARM uses only ``y[-1]``, an MDM the unmasked positions, an
AP-MDM the masks that are neither remasked nor deleted); ``delete`` is 0 on non-masks (Algorithm 1 ignores it there)
and ``insert`` and ``remask`` are 0 on deleted masks (the deletion drops them).  Replay rejects non-canonical steps,
so a change to any single token of a written trace is detected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from machines.discipline import MDM_FAMILY, PARADIGMS, advance
from machines.errors import MachineError, TraceError
from machines.io import atomic_write_text
from machines.predictor import Prediction, Transition
from machines.records import StepRecord
from machines.vocab import AnyVocabulary, Vocabulary, WordVocabulary

__all__ = ["TRACE_SCHEMA", "ReplayReport", "Trace", "canonical_prediction", "parse_trace", "read_trace",
           "records_from_transitions", "replay", "trace_lines", "write_trace"]

TRACE_SCHEMA = "powergen.trace/1"
CONTROLS: dict[str, tuple[str, ...]] = {"arm": (), "mdm": ("unmask",), "ao-mdm": ("unmask",),
                                        "masked-arm": ("unmask",), "ap-mdm": ("remask", "insert", "delete")}
HALTS: dict[str, tuple[str, ...]] = {"arm": ("done",), "mdm": ("no-masks", "eos", "done"),
                                     "ao-mdm": ("no-masks", "eos", "done"), "masked-arm": ("no-masks", "eos", "done"),
                                     "ap-mdm": ("eos", "fixed-point", "done")}


@dataclass(frozen=True, slots=True)
class Trace:
    """A parsed trace: paradigm, vocabulary, step records (file order), the halt line's fields and the start."""

    paradigm: str
    vocab: AnyVocabulary
    records: tuple[StepRecord, ...]
    halt_reason: str
    steps: int
    max_length: int
    start: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Outcome of :func:`replay`: ``ok``, the number of step lines, and the first failing step (1-based) and why.

    ``first_bad_step`` is ``None`` when every step holds (a failure of the halt line alone has ``ok=False``,
    ``first_bad_step=None`` and a ``reason`` starting with ``"halt line"``).
    """

    ok: bool
    steps: int
    first_bad_step: int | None
    reason: str | None


def _bits(a: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.bool_) if a is None else np.asarray(a).astype(np.bool_)


def canonical_prediction(paradigm: str, x: np.ndarray, pred: Prediction, *, mask_id: int) -> dict[str, np.ndarray]:
    """The canonical ``y`` and control vectors of one step, as written to a trace (see the module docstring).

    Examples
    --------
    >>> c = canonical_prediction("ap-mdm", np.array([0, 5, 0]), Prediction(y=np.array([7, 7, 7]),
    ...     remask=np.array([0, 0, 1]), insert=np.array([1, 1, 0]), delete=np.array([0, 1, 0])), mask_id=0)
    >>> {k: v.astype(int).tolist() for k, v in c.items()}
    {'y': [7, 0, 0], 'remask': [0, 0, 1], 'insert': [1, 1, 0], 'delete': [0, 0, 0]}
    """
    xa = np.asarray(x, dtype=np.int64)
    n = xa.shape[0]
    y = np.asarray(pred.y, dtype=np.int64)
    out = np.full(n, mask_id, dtype=np.int64)
    if paradigm == "arm":
        if n:
            out[-1] = y[-1]
        return {"y": out}
    if paradigm in MDM_FAMILY:
        unmask = _bits(pred.unmask, n)
        out[unmask] = y[unmask]
        return {"y": out, "unmask": unmask}
    is_mask = xa == mask_id
    deleted = _bits(pred.delete, n) & is_mask
    remask = _bits(pred.remask, n) & ~deleted
    insert = _bits(pred.insert, n) & ~deleted
    used = is_mask & ~remask & ~deleted
    out[used] = y[used]
    return {"y": out, "remask": remask, "insert": insert, "delete": deleted}


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def _header(paradigm: str, vocab: AnyVocabulary, start: np.ndarray | None) -> dict[str, Any]:
    head: dict[str, Any] = {"schema": TRACE_SCHEMA, "paradigm": paradigm, "vocab": list(vocab.names),
                            "mask": vocab.mask, "bos": vocab.bos, "eos": vocab.eos}
    if isinstance(vocab, WordVocabulary):
        head["words"] = [vocab.lo, vocab.hi]
    if start is not None:
        head["start"] = vocab.decode(start)
    return head


def trace_lines(*, paradigm: str, vocab: AnyVocabulary, records: Iterable[StepRecord], halt_reason: str,
                start: np.ndarray | None = None) -> list[str]:
    """The lines (without newlines) of the trace of ``records``; see :func:`write_trace`."""
    if paradigm not in PARADIGMS:
        raise TraceError(f"unknown paradigm {paradigm!r}; expected one of {', '.join(PARADIGMS)}")
    mask_id = vocab.mask_id
    recs = list(records)
    if start is None and recs:
        start = np.asarray(recs[0].x, dtype=np.int64)
    lines = [_dump(_header(paradigm, vocab, start))]
    steps, peak = 0, (0 if start is None else len(start))
    for rec in recs:
        x = np.asarray(rec.x, dtype=np.int64)
        x_next = np.asarray(rec.x_next, dtype=np.int64)
        try:
            canon = canonical_prediction(paradigm, x, rec.prediction, mask_id=mask_id)
            line: dict[str, Any] = {"t": int(rec.t), "x": vocab.decode(x), "y": vocab.decode(canon.pop("y"))}
        except (MachineError, ValueError, IndexError) as exc:
            raise TraceError(f"record t={rec.t} cannot be written: {exc}") from None
        for name in CONTROLS[paradigm]:
            line[name] = canon[name].astype(np.int64).tolist()
        line["x_next"] = vocab.decode(x_next)
        lines.append(_dump(line))
        steps += 1
        peak = max(peak, x.shape[0], x_next.shape[0])
    lines.append(_dump({"halt": halt_reason, "steps": steps, "max_length": peak}))
    return lines


def write_trace(path: str | os.PathLike[str], *, paradigm: str, vocab: AnyVocabulary, records: Iterable[StepRecord],
                halt_reason: str, start: np.ndarray | None = None) -> None:
    """Write the JSONL trace of ``records`` to ``path`` atomically.

    ``start`` (the run's x_0) defaults to the first record's ``x``; pass it for a run of zero steps.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from machines.vocab import simple_vocabulary
    >>> v = simple_vocabulary(["a"])
    >>> rec = StepRecord(t=1, x=np.array([0]), prediction=Prediction(y=np.array([1]), unmask=np.array([1])),
    ...                  x_next=np.array([1]))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> write_trace(p, paradigm="mdm", vocab=v, records=[rec], halt_reason="no-masks")
    >>> replay(read_trace(p))
    ReplayReport(ok=True, steps=1, first_bad_step=None, reason=None)
    """
    lines = trace_lines(paradigm=paradigm, vocab=vocab, records=records, halt_reason=halt_reason, start=start)
    atomic_write_text(path, "\n".join(lines) + "\n")


def records_from_transitions(transitions: Sequence[Transition]) -> list[StepRecord]:
    """Turn a task's supervised AP-MDM transitions into step records (``t`` = 1, 2, ...), ready for a trace.

    Nothing is checked here; :func:`replay` on the written trace checks g, continuity and canonical form.
    """
    return [StepRecord(t=k, x=tr.x, prediction=Prediction(y=tr.y, remask=tr.remask, insert=tr.insert,
                                                          delete=tr.delete), x_next=tr.x_next)
            for k, tr in enumerate(transitions, start=1)]


# -- reading ---------------------------------------------------------------------------------------------------------
def read_trace(path: str | os.PathLike[str]) -> Trace:
    """Read and parse a trace file; every malformation raises :class:`~machines.errors.TraceError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError(f"no such file: {os.fspath(path)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceError(f"cannot read {os.fspath(path)}: {exc}") from None
    return parse_trace(text)


def _vocab_from_header(head: dict[str, Any]) -> AnyVocabulary:
    names, mask = head.get("vocab"), head.get("mask")
    if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
        raise TraceError("header: 'vocab' must be a list of token names", line=1)
    if not isinstance(mask, str):
        raise TraceError("header: 'mask' must be a token name", line=1)
    bos, eos = head.get("bos"), head.get("eos")
    try:
        if "words" in head:
            words = head["words"]
            if not (isinstance(words, list) and len(words) == 2 and all(type(w) is int for w in words)):
                raise TraceError("header: 'words' must be [lo, hi]", line=1)
            return WordVocabulary(specials=tuple(names), lo=words[0], hi=words[1], mask=mask, bos=bos, eos=eos)
        return Vocabulary(tokens=tuple(names), mask=mask, bos=bos, eos=eos)
    except MachineError as exc:
        if isinstance(exc, TraceError):
            raise
        raise TraceError(f"header: {exc}", line=1) from None


def _tokens(vocab: AnyVocabulary, obj: dict[str, Any], key: str, lineno: int) -> np.ndarray:
    seq = obj.get(key)
    if not isinstance(seq, list) or not all(isinstance(s, str) for s in seq):
        raise TraceError(f"'{key}' must be a list of token names", line=lineno)
    try:
        return vocab.encode(seq).reshape(len(seq))
    except MachineError as exc:
        raise TraceError(f"'{key}': {exc}", line=lineno) from None


def _bitlist(obj: dict[str, Any], key: str, n: int, lineno: int) -> np.ndarray:
    seq = obj.get(key)
    if not isinstance(seq, list) or not all(type(b) is int and b in (0, 1) for b in seq):
        raise TraceError(f"'{key}' must be a list of 0/1", line=lineno)
    if len(seq) != n:
        raise TraceError(f"'{key}' has length {len(seq)} but x has length {n}", line=lineno)
    return np.array(seq, dtype=np.bool_).reshape(n)


def parse_trace(text: str) -> Trace:
    """Parse the text of a trace (see the module docstring); raises :class:`~machines.errors.TraceError`."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    objs: list[dict[str, Any]] = []
    for k, raw in enumerate(lines, start=1):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TraceError(f"not valid JSON: {exc.msg}", line=k) from None
        if not isinstance(obj, dict):
            raise TraceError("every line must be a JSON object", line=k)
        objs.append(obj)
    if not objs or objs[0].get("schema") != TRACE_SCHEMA:
        raise TraceError(f"missing header: the first line must have \"schema\": \"{TRACE_SCHEMA}\"", line=1)
    head = objs[0]
    paradigm = head.get("paradigm")
    if paradigm not in PARADIGMS:
        raise TraceError(f"header: unknown paradigm {paradigm!r}", line=1)
    vocab = _vocab_from_header(head)
    start = _tokens(vocab, head, "start", 1) if "start" in head else None
    if len(objs) < 2 or "halt" not in objs[-1]:
        raise TraceError("missing halt line (the last line must have a \"halt\" key)", line=len(objs))
    records = []
    for k, obj in enumerate(objs[1:-1], start=2):
        if "halt" in obj:
            raise TraceError("a halt line must be the last line", line=k)
        t = obj.get("t")
        if type(t) is not int:
            raise TraceError("'t' must be an integer", line=k)
        x = _tokens(vocab, obj, "x", k)
        y = _tokens(vocab, obj, "y", k)
        if y.shape[0] != x.shape[0]:
            raise TraceError(f"'y' has length {y.shape[0]} but x has length {x.shape[0]}", line=k)
        ctrl = {name: _bitlist(obj, name, x.shape[0], k) for name in CONTROLS[paradigm]}
        x_next = _tokens(vocab, obj, "x_next", k)
        pred = Prediction(y=y, unmask=ctrl.get("unmask"), remask=ctrl.get("remask"), insert=ctrl.get("insert"),
                          delete=ctrl.get("delete"))
        records.append(StepRecord(t=t, x=x, prediction=pred, x_next=x_next))
    last = objs[-1]
    halt, steps, peak = last.get("halt"), last.get("steps"), last.get("max_length")
    if not isinstance(halt, str) or type(steps) is not int or type(peak) is not int:
        raise TraceError("halt line: needs \"halt\" (a string), \"steps\" and \"max_length\" (integers)",
                         line=len(objs))
    return Trace(paradigm=paradigm, vocab=vocab, records=tuple(records), halt_reason=halt, steps=steps,
                 max_length=peak, start=start)


# -- replay ----------------------------------------------------------------------------------------------------------
def _first_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"length {a.shape[0]} instead of {b.shape[0]}"
    return f"position {int(np.argmax(a != b))} differs"


def replay(trace: Trace) -> ReplayReport:
    """Re-check every step of ``trace``: numbering, continuity, canonical form, discipline, ``x_next``, halt line.

    Notes
    -----
    O(total length) vectorised work; the check behind ``powergen trace replay``.
    """
    p, vocab = trace.paradigm, trace.vocab
    mask_id, eos_id = vocab.mask_id, vocab.eos_id
    n_steps = len(trace.records)
    prev = None if trace.start is None else np.asarray(trace.start, dtype=np.int64)
    peak, eos_steps = (0 if prev is None else prev.shape[0]), []

    def bad(k: int, why: str) -> ReplayReport:
        return ReplayReport(ok=False, steps=n_steps, first_bad_step=k, reason=why)

    for k, rec in enumerate(trace.records, start=1):
        x, x_next = np.asarray(rec.x, dtype=np.int64), np.asarray(rec.x_next, dtype=np.int64)
        if rec.t != k:
            return bad(k, f"step number is {rec.t}, expected {k}")
        if prev is not None and not np.array_equal(prev, x):
            what = "the start sequence" if k == 1 else "the previous step's x_next"
            return bad(k, f"x is not {what} ({_first_diff(x, prev)})")
        canon = canonical_prediction(p, x, rec.prediction, mask_id=mask_id)
        for name, want in canon.items():
            raw = getattr(rec.prediction, name)
            got = np.zeros(want.shape, want.dtype) if raw is None else np.asarray(raw).astype(want.dtype)
            if got.shape != want.shape:
                return bad(k, f"{name} has length {got.shape[0]} but x has length {want.shape[0]}")
            if not np.array_equal(got, want):
                return bad(k, f"{name} is not canonical at position {int(np.argmax(got != want))}")
        try:
            step = advance(p, x, rec.prediction, step=k, mask_id=mask_id, vocab_size=vocab.size)
        except MachineError as exc:
            return bad(k, str(exc))
        if not np.array_equal(step.x_next, x_next):
            return bad(k, f"x_next is not the result of the step ({_first_diff(x_next, step.x_next)})")
        if np.array_equal(x_next, x):
            return bad(k, "the step does not change the sequence (a fixed point ends a run and is not recorded)")
        if eos_id is not None and bool((step.written == eos_id).any()):
            eos_steps.append(k)
        peak = max(peak, x.shape[0], x_next.shape[0])
        prev = x_next
    why = _check_halt(trace, prev, peak, eos_steps)
    if why is not None:
        return ReplayReport(ok=False, steps=n_steps, first_bad_step=None, reason=f"halt line: {why}")
    return ReplayReport(ok=True, steps=n_steps, first_bad_step=None, reason=None)


def _check_halt(trace: Trace, final: np.ndarray | None, peak: int, eos_steps: list[int]) -> str | None:
    p, n = trace.paradigm, len(trace.records)
    if trace.halt_reason not in HALTS[p]:
        return f"halt reason {trace.halt_reason!r} is impossible for {p} (expected one of {', '.join(HALTS[p])})"
    if trace.steps != n:
        return f"says {trace.steps} steps but the trace has {n}"
    if (n or trace.start is not None) and trace.max_length != peak:
        return f"says max_length {trace.max_length} but the longest sequence has length {peak}"
    if trace.halt_reason == "no-masks" and final is not None and bool((final == trace.vocab.mask_id).any()):
        return "halt reason 'no-masks' but the final sequence still has masks"
    if trace.halt_reason == "eos" and eos_steps != [n]:
        return f"halt reason 'eos' but EOS was written at steps {eos_steps} (expected only at the last step {n})"
    return None

