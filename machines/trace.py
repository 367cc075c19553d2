"""JSONL traces of machine runs: write, read, and replay (re-check every step).

Format ``powergen.trace/1``, one JSON object per line, tokens as names:

* header ``{"schema", "paradigm", "vocab": [names], "mask": name, "bos": name|null, "eos": name|null, "start":
  [names]}``; for a :class:`~machines.vocab.WordVocabulary` ``"vocab"`` lists the specials and ``"words": [lo, hi]``
  is added.  ``"bos"`` may be null only when ``"vocab"`` has no ``[BOS]`` token (the project's choice [I]: powergen
  always gives that token the BOS role, so a null there is an edited header).  ``"start"`` (the start sequence
  x_0; optional when reading) anchors step 1's ``x`` the way every later ``x`` is anchored by the previous
  ``x_next``.  ``"halt_on_eos"`` (optional when reading, default ``true``, the
  machine's setting) makes replay reject an ARM trace that continues after a step that wrote EOS;
* one line per step ``{"t", "x", "y", ...controls, "x_next"}`` with ``"unmask"`` (MDM family) or ``"remask",
  "insert", "delete"`` (AP-MDM) as 0/1 lists; an ARM step has no control;
* a last line ``{"halt": reason, "steps": number of step lines, "max_length": peak length}``.

Traces are written in a **canonical form** (the project's choice) so that every token and bit in the file matters:
``y`` is MASK wherever the step does not use it (an ARM uses only ``y[-1]``, an MDM the unmasked positions, an
AP-MDM the masks that are neither remasked nor deleted); ``delete`` is 0 on non-masks (Algorithm 1 ignores it there)
and ``insert`` and ``remask`` are 0 on deleted masks (the deletion drops them).  Replay rejects non-canonical steps,
so a change to any single token of a written trace is detected.

Writing streams one line at a time into the temporary file of an atomic write, and :func:`replay_file` parses and
replays line by line, so a trace of 10^5 Sudoku steps is never held in memory whole.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.discipline import MDM_FAMILY, PARADIGMS, advance
from machines.errors import MachineError, TraceError
from machines.io import JsonInputError, atomic_write_lines, loads_bounded
from machines.predictor import Prediction, Transition
from machines.records import StepRecord
from machines.vocab import BOS_NAME, BaseVocabulary, Vocabulary, WordVocabulary

__all__ = ["TRACE_SCHEMA", "ReplayReport", "Trace", "TraceReader", "canonical_prediction",
           "iter_records_from_transitions", "iter_trace_lines", "open_trace", "parse_trace", "read_trace",
           "records_from_transitions", "replay", "replay_file", "trace_lines", "write_trace"]

TRACE_SCHEMA = "powergen.trace/1"
CONTROLS: dict[str, tuple[str, ...]] = {"arm": (), "mdm": ("unmask",), "ao-mdm": ("unmask",),
                                        "masked-arm": ("unmask",), "ap-mdm": ("remask", "insert", "delete")}
HALTS: dict[str, tuple[str, ...]] = {"arm": ("done",), "mdm": ("no-masks", "eos", "done"),
                                     "ao-mdm": ("no-masks", "eos", "done"), "masked-arm": ("no-masks", "eos", "done"),
                                     "ap-mdm": ("eos", "fixed-point", "done")}

#: the keys each kind of line may have; any other key is refused (a trace is a certificate: every byte matters)
HEADER_KEYS = frozenset({"schema", "paradigm", "vocab", "mask", "bos", "eos", "words", "start", "halt_on_eos"})
HALT_KEYS = frozenset({"halt", "steps", "max_length"})


def _step_keys(paradigm: str) -> frozenset[str]:
    return frozenset({"t", "x", "y", "x_next", *CONTROLS[paradigm]})


def _unknown_keys(obj: dict[str, Any], allowed: frozenset[str], what: str, line: int) -> None:
    extra = sorted(k for k in obj if k not in allowed)
    if extra:
        shown = ", ".join(repr(k[:40]) for k in extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise TraceError(f"{what}: unknown key(s) {shown}", line=line)


@dataclass(frozen=True, slots=True)
class Trace:
    """A parsed trace: paradigm, vocabulary, step records (file order), the halt line's fields, the start and the
    header's ``halt_on_eos`` (``True`` when the header omits it)."""

    paradigm: str
    vocab: BaseVocabulary
    records: tuple[StepRecord, ...]
    halt_reason: str
    steps: int
    max_length: int
    start: np.ndarray | None = None
    halt_on_eos: bool = True


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


def _header(paradigm: str, vocab: BaseVocabulary, start: np.ndarray | None, halt_on_eos: bool) -> dict[str, Any]:
    head: dict[str, Any] = {"schema": TRACE_SCHEMA, "paradigm": paradigm, "vocab": list(vocab.names),
                            "mask": vocab.mask, "bos": vocab.bos, "eos": vocab.eos}
    if isinstance(vocab, WordVocabulary):
        head["words"] = [vocab.lo, vocab.hi]
    if start is not None:
        head["start"] = vocab.decode(start)
    head["halt_on_eos"] = bool(halt_on_eos)
    return head


def iter_trace_lines(*, paradigm: str, vocab: BaseVocabulary, records: Iterable[StepRecord], halt_reason: str,
                     start: np.ndarray | None = None, halt_on_eos: bool = True) -> Iterator[str]:
    """The lines (without newlines) of the trace of ``records``, produced lazily one record at a time.

    ``records`` may be a generator: a trace of 10^5 steps is never held in memory (see :func:`write_trace`).

    Notes
    -----
    O(total length) time, O(one step) memory.
    """
    if paradigm not in PARADIGMS:
        raise TraceError(f"unknown paradigm {paradigm!r}; expected one of {', '.join(PARADIGMS)}")
    mask_id = vocab.mask_id
    it = iter(records)
    first = next(it, None)
    if start is None and first is not None:
        start = np.asarray(first.x, dtype=np.int64)
    yield _dump(_header(paradigm, vocab, start, halt_on_eos))
    steps, peak = 0, (0 if start is None else len(start))
    for rec in itertools.chain(() if first is None else (first,), it):
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
        yield _dump(line)
        steps += 1
        peak = max(peak, x.shape[0], x_next.shape[0])
    yield _dump({"halt": halt_reason, "steps": steps, "max_length": peak})


def trace_lines(*, paradigm: str, vocab: BaseVocabulary, records: Iterable[StepRecord], halt_reason: str,
                start: np.ndarray | None = None, halt_on_eos: bool = True) -> list[str]:
    """The lines (without newlines) of the trace of ``records``, as a list; see :func:`iter_trace_lines`."""
    return list(iter_trace_lines(paradigm=paradigm, vocab=vocab, records=records, halt_reason=halt_reason,
                                 start=start, halt_on_eos=halt_on_eos))


def write_trace(path: str | os.PathLike[str], *, paradigm: str, vocab: BaseVocabulary, records: Iterable[StepRecord],
                halt_reason: str, start: np.ndarray | None = None, halt_on_eos: bool = True) -> None:
    """Write the JSONL trace of ``records`` to ``path`` atomically, streaming one line at a time.

    ``start`` (the run's x_0) defaults to the first record's ``x``; pass it for a run of zero steps.
    ``halt_on_eos`` is the machine's setting, recorded in the header: replay checks that an ARM trace with it set
    does not continue after a step that wrote EOS.  ``records`` may be a generator (nothing is kept in memory); an
    unwritable ``path`` raises :class:`~machines.errors.OutputError`.

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
    if paradigm not in PARADIGMS:
        raise TraceError(f"unknown paradigm {paradigm!r}; expected one of {', '.join(PARADIGMS)}")
    atomic_write_lines(path, iter_trace_lines(paradigm=paradigm, vocab=vocab, records=records,
                                              halt_reason=halt_reason, start=start, halt_on_eos=halt_on_eos))


def iter_records_from_transitions(transitions: Iterable[Transition]) -> Iterator[StepRecord]:
    """Lazy form of :func:`records_from_transitions` (one record at a time, for streaming a long trace)."""
    for k, tr in enumerate(transitions, start=1):
        yield StepRecord(t=k, x=tr.x, prediction=Prediction(y=tr.y, remask=tr.remask, insert=tr.insert,
                                                            delete=tr.delete), x_next=tr.x_next)


def records_from_transitions(transitions: Iterable[Transition]) -> list[StepRecord]:
    """Turn a task's supervised AP-MDM transitions into step records (``t`` = 1, 2, ...), ready for a trace.

    Nothing is checked here; :func:`replay` on the written trace checks g, continuity and canonical form.
    """
    return list(iter_records_from_transitions(transitions))


# -- reading ---------------------------------------------------------------------------------------------------------
def _file_lines(path: str | os.PathLike[str]) -> Iterator[str]:
    """The lines of a file without their newline, read lazily; I/O and decoding errors become TraceError."""
    try:
        fh = open(path, encoding="utf-8")  # noqa: SIM115 -- closed below
    except FileNotFoundError:
        raise TraceError(f"no such file: {os.fspath(path)}") from None
    except OSError as exc:
        raise TraceError(f"cannot read {os.fspath(path)}: {exc}") from None
    with fh:
        try:
            for raw in fh:
                yield raw[:-1] if raw.endswith("\n") else raw
        except (OSError, UnicodeDecodeError) as exc:
            raise TraceError(f"cannot read {os.fspath(path)}: {exc}") from None


def _text_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class TraceReader:
    """Streaming parser of a trace: the header on construction, the step records one by one, then the halt line.

    ``paradigm``, ``vocab``, ``start`` and ``halt_on_eos`` are read from the header at once; :meth:`records` yields
    the :class:`~machines.records.StepRecord` s in file order and, once exhausted, has set ``halt_reason``,
    ``steps`` and ``max_length`` from the halt line.  Every malformation raises :class:`~machines.errors.TraceError`.

    Examples
    --------
    >>> r = TraceReader(['{"schema":"powergen.trace/1","paradigm":"arm","vocab":["M","a"],"mask":"M","bos":null,'
    ...                  '"eos":null,"start":["a"]}', '{"halt":"done","steps":0,"max_length":1}'])
    >>> list(r.records()), r.halt_reason, r.halt_on_eos
    ([], 'done', True)

    Notes
    -----
    O(one line) memory beyond the caller's use of the records.
    """

    __slots__ = ("_it", "paradigm", "vocab", "start", "halt_on_eos", "halt_reason", "steps", "max_length",
                 "_used")

    def __init__(self, lines: Iterable[str]) -> None:
        self._it = enumerate(lines, start=1)
        self._used = False
        first = next(self._it, None)
        head = _load(first[1], 1) if first is not None else {}
        if head.get("schema") != TRACE_SCHEMA:
            raise TraceError(f"missing header: the first line must have \"schema\": \"{TRACE_SCHEMA}\"", line=1)
        paradigm = head.get("paradigm")
        if not isinstance(paradigm, str) or paradigm not in PARADIGMS:
            raise TraceError(f"header: unknown paradigm {str(paradigm)[:40]!r}", line=1)
        _unknown_keys(head, HEADER_KEYS, "header", 1)
        missing = [k for k in ("vocab", "mask", "bos", "eos") if k not in head]
        if missing:
            raise TraceError(f"header: missing key(s) {', '.join(missing)} (bos and eos may be null, not absent)",
                             line=1)
        self.paradigm: str = paradigm
        self.vocab = _vocab_from_header(head)
        self.start = _tokens(self.vocab, head, "start", 1) if "start" in head else None
        hoe = head.get("halt_on_eos", True)
        if not isinstance(hoe, bool):
            raise TraceError("header: 'halt_on_eos' must be true or false", line=1)
        self.halt_on_eos: bool = hoe
        self.halt_reason: str | None = None
        self.steps: int | None = None
        self.max_length: int | None = None

    def records(self) -> Iterator[StepRecord]:
        """Yield the step records (once); at the end the halt fields are set."""
        if self._used:
            raise TraceError("the records of a TraceReader can be read only once")
        self._used = True
        last, halt_at = 1, None
        for k, raw in self._it:
            last = k
            obj = _load(raw, k)
            if halt_at is not None:
                raise TraceError("a halt line must be the last line", line=halt_at)
            if "halt" in obj:
                _unknown_keys(obj, HALT_KEYS, "halt line", k)
                halt, steps, peak = obj.get("halt"), obj.get("steps"), obj.get("max_length")
                if not isinstance(halt, str) or type(steps) is not int or type(peak) is not int:
                    raise TraceError("halt line: needs \"halt\" (a string), \"steps\" and \"max_length\" (integers)",
                                     line=k)
                halt_at = k
                self.halt_reason, self.steps, self.max_length = halt, steps, peak
                continue
            _unknown_keys(obj, _step_keys(self.paradigm), "step line", k)
            yield _step_record(self.paradigm, self.vocab, obj, k)
        if halt_at is None:
            raise TraceError("missing halt line (the last line must have a \"halt\" key)", line=last)

    def trace(self) -> Trace:
        """Read every record and return the whole :class:`Trace` (memory grows with the trace)."""
        records = tuple(self.records())
        assert self.halt_reason is not None and self.steps is not None and self.max_length is not None
        return Trace(paradigm=self.paradigm, vocab=self.vocab, records=records, halt_reason=self.halt_reason,
                     steps=self.steps, max_length=self.max_length, start=self.start, halt_on_eos=self.halt_on_eos)


def open_trace(path: str | os.PathLike[str]) -> TraceReader:
    """A streaming :class:`TraceReader` on the file ``path`` (lines are read as the records are consumed)."""
    return TraceReader(_file_lines(path))


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """Read and parse a trace file; every malformation raises :class:`~machines.errors.TraceError`.

    The whole trace is kept in memory; :func:`replay_file` checks a file of any length in O(one step) memory.
    """
    return open_trace(path).trace()


def _load(raw: str, k: int) -> dict[str, Any]:
    try:
        obj = loads_bounded(raw, what="the line")
    except JsonInputError as exc:
        raise TraceError(str(exc), line=k) from None
    if not isinstance(obj, dict):
        raise TraceError("every line must be a JSON object", line=k)
    return obj


def _vocab_from_header(head: dict[str, Any]) -> BaseVocabulary:
    names, mask = head.get("vocab"), head.get("mask")
    if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
        raise TraceError("header: 'vocab' must be a list of token names", line=1)
    if not isinstance(mask, str):
        raise TraceError("header: 'mask' must be a token name", line=1)
    bos, eos = head.get("bos"), head.get("eos")
    for role, name in (("bos", bos), ("eos", eos)):
        if name is not None and not isinstance(name, str):
            raise TraceError(f"header: {role!r} must be a token name or null", line=1)
    if bos is None and BOS_NAME in names:
        # a run's vocabulary with this token has it as its BOS (every powergen vocabulary does); with bos nulled the
        # replay could no longer check that no step writes it
        raise TraceError(f"header: 'bos' is null but the vocabulary has the start-of-sequence token {BOS_NAME}; "
                         f"expected \"bos\": \"{BOS_NAME}\"", line=1)
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


def _tokens(vocab: BaseVocabulary, obj: dict[str, Any], key: str, lineno: int) -> np.ndarray:
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


def _step_record(paradigm: str, vocab: BaseVocabulary, obj: dict[str, Any], k: int) -> StepRecord:
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
    return StepRecord(t=t, x=x, prediction=pred, x_next=x_next)


def parse_trace(text: str) -> Trace:
    """Parse the text of a trace (see the module docstring); raises :class:`~machines.errors.TraceError`."""
    return TraceReader(_text_lines(text)).trace()


# -- replay ----------------------------------------------------------------------------------------------------------
def _first_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"length {a.shape[0]} instead of {b.shape[0]}"
    return f"position {int(np.argmax(a != b))} differs"


def replay(trace: Trace) -> ReplayReport:
    """Re-check every step of ``trace``: numbering, continuity, canonical form, discipline, ``x_next``, halt line.

    An ARM trace whose header has ``halt_on_eos`` (the default) must end at the first step that writes EOS.

    Notes
    -----
    O(total length) vectorised work; the check behind ``powergen trace replay`` (which streams the file through
    :func:`replay_file`).
    """
    return _replay_stream(trace.paradigm, trace.vocab, trace.start, trace.halt_on_eos, trace.records,
                          lambda: (trace.halt_reason, trace.steps, trace.max_length))


def replay_file(path: str | os.PathLike[str]) -> tuple[TraceReader, ReplayReport]:
    """Replay the trace file ``path`` line by line, in O(one step) memory; returns the reader (header and halt
    fields) and the :class:`ReplayReport`.

    Every line is parsed even after a failing step, so a malformed file always raises
    :class:`~machines.errors.TraceError` (exit 2 in the CLI) rather than reporting a failed step.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from machines.vocab import simple_vocabulary
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> write_trace(p, paradigm="arm", vocab=simple_vocabulary(["a"]), records=[], halt_reason="done",
    ...             start=np.array([1]))
    >>> replay_file(p)[1]
    ReplayReport(ok=True, steps=0, first_bad_step=None, reason=None)
    """
    reader = open_trace(path)

    def halt() -> tuple[str, int, int]:
        assert reader.halt_reason is not None and reader.steps is not None and reader.max_length is not None
        return reader.halt_reason, reader.steps, reader.max_length

    rep = _replay_stream(reader.paradigm, reader.vocab, reader.start, reader.halt_on_eos, reader.records(), halt)
    return reader, rep


def _replay_stream(p: str, vocab: BaseVocabulary, start: np.ndarray | None, halt_on_eos: bool,
                   records: Iterable[StepRecord], halt: Callable[[], tuple[str, int, int]]) -> ReplayReport:
    """The replay loop over any iterable of records (consumed to the end even after a failure)."""
    mask_id = vocab.mask_id
    prev = None if start is None else np.asarray(start, dtype=np.int64)
    peak = 0 if prev is None else prev.shape[0]
    eos_steps: list[int] = []
    first_bad: tuple[int, str] | None = None
    n_steps = 0
    for k, rec in enumerate(records, start=1):
        n_steps = k
        if first_bad is not None:
            continue  # keep parsing the rest (malformed lines still raise) and counting
        why = _check_step(p, vocab, k, rec, prev, halt_on_eos, eos_steps)
        if why is not None:
            first_bad = (k, why)
            continue
        x, x_next = np.asarray(rec.x, dtype=np.int64), np.asarray(rec.x_next, dtype=np.int64)
        peak = max(peak, x.shape[0], x_next.shape[0])
        prev = x_next
    if first_bad is not None:
        halt()  # the halt line was parsed (the records iterator raises if it is missing)
        return ReplayReport(ok=False, steps=n_steps, first_bad_step=first_bad[0], reason=first_bad[1])
    reason, steps, max_length = halt()
    why = _check_halt(p, mask_id, reason, steps, max_length, n_steps, start is not None, prev, peak, eos_steps,
                      halt_on_eos and vocab.eos_id is not None)
    if why is not None:
        return ReplayReport(ok=False, steps=n_steps, first_bad_step=None, reason=f"halt line: {why}")
    return ReplayReport(ok=True, steps=n_steps, first_bad_step=None, reason=None)


def _check_step(p: str, vocab: BaseVocabulary, k: int, rec: StepRecord, prev: np.ndarray | None, halt_on_eos: bool,
                eos_steps: list[int]) -> str | None:
    """Why step ``k`` fails (``None`` if it holds); appends ``k`` to ``eos_steps`` when the step writes EOS."""
    mask_id, eos_id = vocab.mask_id, vocab.eos_id
    x, x_next = np.asarray(rec.x, dtype=np.int64), np.asarray(rec.x_next, dtype=np.int64)
    if rec.t != k:
        return f"step number is {rec.t}, expected {k}"
    if halt_on_eos and eos_steps:
        return (f"the {p} wrote EOS at step {eos_steps[0]} and halts there (halt_on_eos is set in the header), "
                f"but the trace continues")
    if prev is not None and not np.array_equal(prev, x):
        what = "the start sequence" if k == 1 else "the previous step's x_next"
        return f"x is not {what} ({_first_diff(x, prev)})"
    canon = canonical_prediction(p, x, rec.prediction, mask_id=mask_id)
    for name, want in canon.items():
        raw = getattr(rec.prediction, name)
        got = np.zeros(want.shape, want.dtype) if raw is None else np.asarray(raw).astype(want.dtype)
        if got.shape != want.shape:
            return f"{name} has length {got.shape[0]} but x has length {want.shape[0]}"
        if not np.array_equal(got, want):
            return f"{name} is not canonical at position {int(np.argmax(got != want))}"
    try:
        step = advance(p, x, rec.prediction, step=k, mask_id=mask_id, vocab_size=vocab.size)
    except MachineError as exc:
        return str(exc)
    if not np.array_equal(step.x_next, x_next):
        return f"x_next is not the result of the step ({_first_diff(x_next, step.x_next)})"
    if np.array_equal(x_next, x):
        return "the step does not change the sequence (a fixed point ends a run and is not recorded)"
    bos_id = vocab.bos_id
    if bos_id is not None and bool((step.written == bos_id).any()):
        return "the step writes BOS (the header's start-of-sequence marker is never generated)"
    if eos_id is not None and bool((step.written == eos_id).any()):
        eos_steps.append(k)
    return None


def _check_halt(p: str, mask_id: int, reason: str, steps: int, max_length: int, n: int, has_start: bool,
                final: np.ndarray | None, peak: int, eos_steps: list[int], eos_halts: bool) -> str | None:
    """Why the halt line is impossible for the run replayed (``None`` if the machine could have halted so).

    The machine checks, in order: no masks left (MDM family), the predictor's halt, a fixed point, then EOS written
    by the last step (with ``halt_on_eos``); so a halt reason is possible only if every earlier check did not fire
    and the last step's EOS (when ``eos_halts``) names the halt (:mod:`machines.paradigms`).
    """
    if reason not in HALTS[p]:
        return f"halt reason {reason!r} is impossible for {p} (expected one of {', '.join(HALTS[p])})"
    if steps != n:
        return f"says {steps} steps but the trace has {n}"
    if (n or has_start) and max_length != peak:
        return f"says max_length {max_length} but the longest sequence has length {peak}"
    if reason == "no-masks" and final is not None and bool((final == mask_id).any()):
        return "halt reason 'no-masks' but the final sequence still has masks"
    if reason == "eos" and not eos_halts:
        return "halt reason 'eos' but the header's halt_on_eos is false or its vocabulary has no EOS"
    if reason == "eos" and eos_steps != [n]:
        return f"halt reason 'eos' but EOS was written at steps {eos_steps[:5]} (expected only at the last step {n})"
    wrote_eos_last = eos_halts and n > 0 and eos_steps[-1:] == [n]
    eos_reason = "done" if p == "arm" else "eos"
    if wrote_eos_last and reason != eos_reason:
        return f"the last step wrote EOS, so the {p} halts with {eos_reason!r}, not {reason!r}"
    if (p in MDM_FAMILY and reason in ("done", "fixed-point") and final is not None
            and not bool((final == mask_id).any())):
        return f"halt reason {reason!r} but no mask is left: the {p} halts with 'no-masks' first"
    return None
