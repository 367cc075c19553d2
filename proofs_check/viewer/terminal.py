"""``powergen trace show`` views: token lines, the Sudoku grid and the max-flow edge table, in rich.

Every operation has a **marker character** as well as a colour, so a pipe, a grey terminal or ``NO_COLOR=1`` still
tells them apart (:data:`MARKERS`): ``+`` unmask, ``~`` remask (the old token shown), ``*`` insert (a new MASK),
``-`` delete (the deleted MASK), ``>`` append (ARM).  A kept token has no marker.  Views fit a 100-column terminal:
the grid is 50 columns wide and the edge table five narrow columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from machines.records import StepRecord
from machines.vocab import BaseVocabulary
from proofs_check.errors import UsageError
from proofs_check.viewer.delta import APPEND, DELETE, INSERT, OPS, REMASK, UNMASK, step_delta

__all__ = ["MARKERS", "Cell", "display_cells", "parse_steps", "render_graph", "render_grid", "render_tokens",
           "select_steps"]

MARKERS = {"unmask": "+", "remask": "~", "insert": "*", "delete": "-", "append": ">"}
STYLES = {"": "", "unmask": "bold green", "append": "bold green", "remask": "bold red", "insert": "bold cyan",
          "delete": "magenta strike"}
HELP_MARKERS = ("operations: + unmask, ~ remask (shows the old token), * insert (a new MASK), - delete, "
                "> append (ARM); a kept token has no marker; the markers stay without colour (pipes, NO_COLOR=1)")


@dataclass(frozen=True, slots=True)
class Cell:
    """One displayed position of a step: the operation (``""`` if kept), the token before and after, and the
    position in ``x_{t+1}`` (``-1`` for a deleted position)."""

    op: str
    before: int
    after: int
    pos: int


def display_cells(paradigm: str, rec: StepRecord, *, mask_id: int) -> list[Cell]:
    """The positions of step ``rec`` in output order, deleted positions kept (the page's token strip, in Python).

    Examples
    --------
    >>> from machines.predictor import Prediction
    >>> rec = StepRecord(t=1, x=np.array([4, 0, 0]), prediction=Prediction(y=np.array([0, 5, 0]),
    ...                  remask=np.array([1, 0, 0]), insert=np.array([0, 1, 0]), delete=np.array([0, 0, 1])),
    ...                  x_next=np.array([0, 5, 0]))
    >>> [(c.op, c.before, c.after, c.pos) for c in display_cells("ap-mdm", rec, mask_id=0)]
    [('remask', 4, 0, 0), ('unmask', 0, 5, 1), ('insert', 0, 0, 2), ('delete', 0, 0, -1)]
    """
    x = np.asarray(rec.x, dtype=np.int64).tolist()
    by_pos: dict[int, list[tuple[int, int]]] = {}
    for pos, code, tok in step_delta(paradigm, np.asarray(rec.x), rec, mask_id=mask_id):
        by_pos.setdefault(pos, []).append((code, tok))
    out: list[Cell] = []
    k = 0
    for i, tok in enumerate(x):
        here = by_pos.get(i, [])
        ops = {o for o, _ in here}
        if DELETE in ops:
            out.append(Cell("delete", tok, tok, -1))
        else:
            new, op = tok, ""
            for o, v in here:
                if o == REMASK:
                    new, op = mask_id, "remask"
                elif o == UNMASK:
                    new, op = v, "unmask"
            out.append(Cell(op, tok, new, k))
            k += 1
        for _ in range(sum(o == INSERT for o, _ in here)):
            out.append(Cell("insert", mask_id, mask_id, k))
            k += 1
    for o, v in by_pos.get(len(x), []):
        if o == APPEND:
            out.append(Cell("append", -1, v, k))
            k += 1
    return out


def parse_steps(text: str | None) -> tuple[int, int | None]:
    """``--steps A:B`` (inclusive; ``A:``, ``:B`` and ``N`` allowed; step 0 is the start) -> ``(A, B or None)``.

    Examples
    --------
    >>> parse_steps("3:7"), parse_steps("5"), parse_steps(":4"), parse_steps(None)
    ((3, 7), (5, 5), (0, 4), (0, None))
    """
    if text is None:
        return 0, None
    a, sep, b = text.partition(":")
    try:
        lo = int(a) if a.strip() else 0
        hi = (int(b) if b.strip() else None) if sep else lo
    except ValueError:
        raise UsageError(f"--steps must be A:B, A:, :B or N with integers, got {text!r}") from None
    if lo < 0 or (hi is not None and hi < lo):
        raise UsageError(f"--steps must satisfy 0 <= A <= B, got {text!r}")
    return lo, hi


def select_steps(records: Iterable[StepRecord], lo: int, hi: int | None) -> Iterator[StepRecord]:
    """The records with ``lo <= t <= hi``; stops reading once ``t > hi``."""
    for rec in records:
        if hi is not None and rec.t > hi:
            return
        if rec.t >= lo:
            yield rec


def _out(con: Console, what: object) -> None:
    """Print wrapped to the terminal's width, at most 100 columns (the views are laid out for 100)."""
    con.print(what, soft_wrap=False, width=min(con.width, 100))


def _summary(cells: list[Cell]) -> str:
    counts = {op: sum(c.op == op for c in cells) for op in OPS}
    return ", ".join(f"{MARKERS[op]}{op} {n}" for op, n in counts.items() if n) or "no change"


def render_tokens(con: Console, vocab: BaseVocabulary, paradigm: str, rec: StepRecord, width: int) -> None:
    """One line per step: the output tokens with their markers (``~`` shows the token that was remasked)."""
    line = Text(f"{rec.t:>{width}} ")
    for c in display_cells(paradigm, rec, mask_id=vocab.mask_id):
        name = vocab.name_of(c.before if c.op in ("remask", "delete") else c.after)
        line.append(MARKERS.get(c.op, "") + name, style=STYLES[c.op] or ("dim" if c.after == vocab.mask_id else ""))
        line.append(" ")
    _out(con, line)


# -- Sudoku grid -----------------------------------------------------------------------------------------------------
_DEPTH = " 123456789abcdef"
_BG = ["", "on #f4a6a6", "on #f7c68b", "on #f2e394", "on #b9e3a0", "on #9fd8c9", "on #a6cbf0", "on #b7b0ee",
       "on #e0aee6", "on #f0b3cc", "on #d2c2a4", "on #c8d98e", "on #8fd3e8", "on #c9c9c9", "on #e8a87c", "on #a8e6a1"]


def _sudoku_cell(names: list[str]) -> tuple[str, str, int]:
    """(value char, marker char, colour index; -1 for MASK) of one cell's three tokens."""
    value, colour, marker = names
    v = "." if value == "[EMPTY]" else "?" if value == "[MASK]" else value
    m = {"[BRANCH]": "B", "[SKULL]": "X", "[NORMAL]": " ", "[MASK]": "?"}.get(marker, "!")
    c = -1 if colour == "[MASK]" else 0 if colour == "[WHITE]" else int(colour[2:-1]) if colour.startswith("[C") else 0
    return v, m, c


def render_grid(con: Console, vocab: BaseVocabulary, state: np.ndarray, cells: list[Cell] | None, t: int,
                title: str) -> None:
    """The 9x9 grid of a Sudoku state; each cell ``<op><value><marker><depth>``.

    op: a marker of :data:`MARKERS` (the first of the value, colour and marker slots that changed); value ``1-9``,
    ``.`` empty, ``?`` masked; marker ``B`` branch, ``X`` skull (contradiction), ``?`` masked; depth: the branch
    colour ``1-9a-f`` (``[C1]..[C15]``), blank for ``[WHITE]``, ``?`` masked; the colour is also the cell's
    background.  The changed cells and their slots are listed under the grid.
    """
    names = [vocab.name_of(int(v)) for v in np.asarray(state).tolist()]
    ops: list[str] = [c.op for c in cells] if cells is not None else [""] * len(names)
    _out(con, Text(f"step {t}: {title}", style="bold"))
    changed = []
    rule = "+" + "+".join(["-" * 15] * 3) + "+"
    _out(con, rule)
    for r in range(9):
        line = Text("|")
        for cc in range(9):
            k = 9 * r + cc
            v, m, depth = _sudoku_cell(names[4 * k:4 * k + 3])
            slot_ops = ops[4 * k:4 * k + 3]
            first = next((o for o in slot_ops if o), "")
            d = "?" if depth < 0 else _DEPTH[depth % 16]
            style = (_BG[depth] if 0 < depth < 16 else "") + (" bold" if first else "")
            line.append(MARKERS.get(first, " ") + v + m + d, style=style.strip())
            line.append(" " if cc % 3 != 2 else "|")
            if first:
                what = " ".join(MARKERS[o] + w for o, w in zip(slot_ops, ("value", "colour", "marker"), strict=True)
                                if o)
                changed.append(f"r{r + 1}c{cc + 1} {what}")
        _out(con, line)
        if r % 3 == 2:
            _out(con, rule)
    if changed:
        _out(con, Text("changed: " + "; ".join(changed)))


# -- max-flow edge table ---------------------------------------------------------------------------------------------
def render_graph(con: Console, vocab: BaseVocabulary, state: np.ndarray, cells: list[Cell] | None, t: int,
                 title: str, start_edges: list[tuple[int, int]], s: int, tgt: int) -> None:
    """The max-flow state as an edge table (edge, state, residual arc, path, change) and a line of node levels.

    Edge states: ``init`` (slots not yet filled), ``free`` (``[FB] M``: residual arc u->v), ``flow`` (``M [FB]``:
    residual v->u), ``masked``, ``cut`` (marked for deletion), ``deleted``.  ``path``: on the augmenting path (the
    parent chain from t, when t has a level).
    """
    from reductions.tasks.maxflow import parse_state

    seq = np.asarray(state, dtype=np.int64)
    st = parse_state(seq)
    names = [vocab.name_of(int(v)) for v in seq.tolist()]
    level = {n.ident: (names[n.slots[0]] if n.slots else "?") for n in st.nodes}
    parent = {n.ident: (names[n.slots[1]] if len(n.slots) > 1 else "?") for n in st.nodes}
    path: set[tuple[int, int]] = set()
    if level.get(tgt, "?").startswith("[LVL"):
        c, guard = tgt, 0
        while c != s and parent.get(c, "?").isdigit() and guard < 64:
            p = int(parent[c])
            path.add((p, c))
            c, guard = p, guard + 1
    same = len(st.edges) == len(start_edges)
    by_key = {(e.u, e.v): e for e in st.edges if not e.marked}
    _out(con, Text(f"step {t}: {title}", style="bold"))
    tab = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("edge", "state", "residual", "path", "change"):
        tab.add_column(col)
    for k, (u, v) in enumerate(start_edges):
        e = st.edges[k] if same else by_key.get((u, v))
        if e is None:
            state_name, ch = "deleted", ""
        elif e.marked:
            state_name = "cut"
            ch = next((MARKERS[c.op] for c in cells or () if c.op and e.start <= c.pos < e.start + 6), "")
        else:
            sl = [names[p] for p in e.slots]
            state_name = ("init" if len(sl) < 2 else "free" if sl == ["[FB]", "[MASK]"] else
                          "flow" if sl == ["[MASK]", "[FB]"] else "masked")
            ch = "".join(sorted({MARKERS[c.op] for c in cells or () if c.op and c.pos in
                                 range(e.start, e.slots[-1] + 2 if e.slots else e.start + 4)}))
        res = f"{u}->{v}" if state_name == "free" else f"{v}->{u}" if state_name == "flow" else ""
        on = "yes" if (u, v) in path or (v, u) in path else ""
        style = {"flow": "bold blue", "cut": "bold red", "deleted": "red strike"}.get(state_name, "")
        tab.add_row(f"{u}->{v}", Text(state_name, style=style), res, on, ch)
    _out(con, tab)
    parts = []
    for n in st.nodes:
        lv = level[n.ident]
        lv_s = "inf" if lv == "[INF]" else "?" if lv == "[MASK]" else lv[4:-1] if lv.startswith("[LVL") else lv
        pa = parent[n.ident]
        pa_s = "" if pa in ("[NIL]", "?") else "<-?" if pa == "[MASK]" else f"<-{pa}"
        mark = "".join(sorted({MARKERS[c.op] for c in cells or () if c.op and n.start <= c.pos < n.start + 5}))
        who = "s " if n.ident == s else "t " if n.ident == tgt else ""
        parts.append(f"{mark}{who}{n.ident}:L{lv_s}{pa_s}")
    _out(con, Text("nodes (BFS level, <-parent): " + "  ".join(parts)))


def show_trace(con: Console, reader: object, *, steps: str | None, view: str | None) -> int:
    """``powergen trace show`` in text: the chosen view for the steps ``--steps A:B`` (step 0: the start)."""
    from machines.trace import TraceReader
    from proofs_check.viewer.views import LABELLED, choose_view, graph_layout, step_label

    assert isinstance(reader, TraceReader)
    lo, hi = parse_steps(steps)
    vocab, paradigm = reader.vocab, reader.paradigm
    chosen = choose_view(paradigm, vocab, reader.start, view)
    _out(con, Text(f"{paradigm} trace, {chosen} view" + (f", steps {lo}..{hi}" if steps else ""), style="bold"))
    _out(con, Text(HELP_MARKERS))
    flow = graph_layout(reader.start) if chosen == "graph" and reader.start is not None else None

    def draw(state: np.ndarray, cells: list[Cell] | None, t: int, title: str) -> None:
        if chosen == "grid":
            render_grid(con, vocab, state, cells, t, title)
        else:
            assert flow is not None
            render_graph(con, vocab, state, cells, t, title,
                         [(u, v) for u, v in flow["edges"]], flow["s"], flow["t"])

    if chosen != "tokens" and lo == 0 and reader.start is not None:
        draw(reader.start, None, 0, "the start")
    shown = 0
    for rec in select_steps(reader.records(), lo, hi):
        shown += 1
        if chosen == "tokens":
            render_tokens(con, vocab, paradigm, rec, 6)
            continue
        cells = display_cells(paradigm, rec, mask_id=vocab.mask_id)
        title = _summary(cells)
        if chosen in LABELLED:
            title = f"{step_label(chosen, rec)}: {title}"
        draw(np.asarray(rec.x_next), cells, rec.t, title)
    _out(con, Text(f"{shown} steps shown" + (f"; halt '{reader.halt_reason}'" if reader.halt_reason else "")))
    return 0
