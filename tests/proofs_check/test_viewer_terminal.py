"""``powergen trace show`` views and the ``--html`` flags: readable in 100 columns, markers without colour, the grid
and the edge table agree with the trace's own states, bad requests are one-line errors (exit 2).

Oracles: the ``x_next`` lines of the JSONL traces, the machines' per-step counters (``MachineCounters.per_step``)
and the max-flow parser of :mod:`reductions.tasks.maxflow`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from machines.demos import DEMO_VOCAB, demo_machine, demo_start
from machines.trace import read_trace, write_trace
from proofs_check.cli import main
from proofs_check.viewer.terminal import MARKERS
from reductions.tasks.maxflow import parse_state

ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def _plain_100_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")


def _show(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    capsys.readouterr()
    assert main(["trace", "show", *argv]) == 0
    out = capsys.readouterr().out
    assert not ANSI.search(out)
    lines = out.splitlines()
    assert max(len(s) for s in lines) <= 100
    return lines


@pytest.fixture(scope="module")
def sudoku_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("s") / "s.jsonl"
    assert main(["sudoku", "solve", ESCARGOT, "--trace", str(p)]) == 0
    return p


def test_grid_view_matches_trace(sudoku_trace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = read_trace(sudoku_trace)
    lines = _show(capsys, str(sudoku_trace), "--view", "grid", "--steps", "40:41")
    assert any(s.startswith("operations: + unmask, ~ remask") for s in lines)
    blocks = [k for k, s in enumerate(lines) if s.startswith("step ")]
    assert [lines[k].split(":")[0] for k in blocks] == ["step 40", "step 41"]
    for k, step in zip(blocks, (40, 41), strict=True):
        rows = [s for s in lines[k + 1:k + 14] if s.startswith("|")]
        assert len(rows) == 9
        names = t.vocab.decode(t.records[step - 1].x_next)
        before = t.vocab.decode(t.records[step - 1].x)
        for r, row in enumerate(rows):
            for c in range(9):
                cell = row[1 + 5 * c:5 + 5 * c]
                cell_k = 9 * r + c
                value = names[4 * cell_k]
                want = "." if value == "[EMPTY]" else "?" if value == "[MASK]" else value
                assert cell[1] == want, (step, r, c, cell)
                changed = names[4 * cell_k:4 * cell_k + 3] != before[4 * cell_k:4 * cell_k + 3]
                assert (cell[0] in "+~") == changed and (cell[0] == " ") == (not changed)
    assert "+" in lines[blocks[0]] and "~" in lines[blocks[1]]  # step 40 unmasks, step 41 remasks


def test_graph_view_matches_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "f.jsonl"
    assert main(["maxflow", "run", "--nodes", "6", "--seed", "1", "--trace", str(p)]) == 0
    t = read_trace(p)
    T = len(t.records)
    lines = _show(capsys, str(p), "--steps", f"{T - 3}:{T}")  # default view: graph
    assert lines[0].startswith("ap-mdm trace, graph view")
    for step in range(T - 3, T + 1):
        k = next(i for i, s in enumerate(lines) if s.startswith(f"step {step}:"))
        x = t.records[step - 1].x_next
        st = parse_state(x)
        names = t.vocab.decode(x)
        rows = {}
        for s in lines[k + 2:]:
            if not re.match(r"^\d+->\d+ ", s):
                break
            parts = s.split()
            rows[parts[0]] = parts[1]
        for e in st.edges:
            if not e.marked:
                sl = [names[q] for q in e.slots]
                want = "free" if sl == ["[FB]", "[MASK]"] else "flow" if sl == ["[MASK]", "[FB]"] else "masked"
                assert rows[f"{e.u}->{e.v}"] == want
        assert sum(v == "cut" for v in rows.values()) == sum(e.marked for e in st.edges)
    last = lines[next(i for i, s in enumerate(lines) if s.startswith(f"step {T}:")):]
    assert any(" deleted" in s for s in last)


@pytest.mark.parametrize("paradigm", ["arm", "mdm", "ap-mdm"])
def test_token_markers_count_operations(paradigm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each step's markers count what the machine's own per-step counters count."""
    x0 = demo_start(paradigm, n=5, seed=3)
    r = demo_machine(paradigm).run(x0, seed=3, keep_records=True)
    p = tmp_path / "d.jsonl"
    write_trace(p, paradigm=paradigm, vocab=DEMO_VOCAB, records=r.records or (), halt_reason=r.halt_reason, start=x0)
    lines = _show(capsys, str(p), "--view", "tokens")
    steps = [s for s in lines if re.match(r"^ +\d+ ", s)]
    assert len(steps) == r.counters.steps
    for s, c in zip(steps, r.counters.per_step, strict=True):
        toks = s.split()[1:]
        count = {m: sum(tok.startswith(m) for tok in toks) for m in MARKERS.values()}
        assert count["+"] == c.unmasked and count["~"] == c.remasked and count["-"] == c.deleted
        assert count["*"] + count[">"] == c.inserted


def test_bad_requests_are_one_line(sudoku_trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = tmp_path / "d.jsonl"
    assert main(["machines", "demo", "--trace", str(demo)]) == 0
    for argv in (["trace", "show", str(demo), "--view", "grid"], ["trace", "show", str(demo), "--view", "graph"],
                 ["trace", "show", str(demo), "--steps", "5:2"], ["trace", "show", str(demo), "--steps", "x"],
                 ["trace", "html", str(demo), "-o", str(tmp_path), "--view", "tokens"],
                 ["trace", "html", str(demo), "-o", str(tmp_path / "p.html"), "--view", "grid"],
                 ["trace", "html", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "p.html")],
                 ["sudoku", "solve", ESCARGOT, "--html", str(tmp_path)]):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert not (tmp_path / "p.html").exists()


def _page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(text.split('id="trace-data">', 1)[1].split("</script>", 1)[0])


def test_html_flags_write_pages(sudoku_trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = {"sudoku": (["sudoku", "solve", ESCARGOT], "grid", 466),
            "flow": (["maxflow", "run", "--nodes", "5", "--seed", "2"], "graph", None),
            "demo": (["machines", "demo", "--paradigm", "masked-arm"], "tokens", None),
            "thm4": (["reduce", "thm4", "--program", "sum", "--n", "4"], "tokens", None)}
    for name, (argv, view, steps) in runs.items():
        page = tmp_path / f"{name}.html"
        assert main([*argv, "--html", str(page)]) == 0
        data = _page_data(page)
        assert data["view"] == view and data["schema"] == "powergen.viewer/1"
        assert steps is None or len(data["steps"]) == steps
        assert f"page written to {page}" in capsys.readouterr().err
    page = tmp_path / "from-trace.html"
    assert main(["trace", "html", str(sudoku_trace), "-o", str(page)]) == 0
    # the page from the JSONL trace and the page from the run carry the same encoding
    a, b = _page_data(page), _page_data(tmp_path / "sudoku.html")
    assert (a["names"], a["start"], a["steps"]) == (b["names"], b["start"], b["steps"])
    t = read_trace(sudoku_trace)
    assert np.array_equal(t.start, np.asarray([t.vocab.id_of(a["names"][v]) for v in a["start"]]))


def test_the_sudoku_views_name_the_solver_events(sudoku_trace: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Every step of a Sudoku trace is named by the solver event it belongs to, in the terminal and on the page;
    oracle: the solver's own event counts (each assign, branch and contradiction is a cell choice then its step 2;
    each backtrack is two steps, then a refill of two)."""
    from collections import Counter

    from reductions.tasks.sudoku import solve

    c = solve(ESCARGOT).counts
    assert c.backtracks and c.contradictions and c.branches  # the run has every kind of event
    want = {"cell-choice": c.assigns + c.branches + c.contradictions, "assign": c.assigns, "branch": c.branches,
            "contradiction": c.contradictions, "backtrack-remask": c.backtracks, "backtrack-restore": c.backtracks,
            "refill-value": c.backtracks, "refill-marker": c.backtracks}
    lines = _show(capsys, str(sudoku_trace), "--view", "grid", "--steps", "1:466")
    heads = [s for s in lines if re.match(r"step \d+: ", s)]
    assert len(heads) == 466
    assert Counter(s.split(": ")[1] for s in heads) == want
    page = tmp_path / "p.html"
    assert main(["trace", "html", str(sudoku_trace), "-o", str(page)]) == 0
    data = _page_data(page)
    labels = [data["label_names"][k] for k in data["labels"]]
    assert Counter(labels) == want
    assert [s.split(": ")[1] for s in heads] == labels  # the same name for the same step in both views


def test_a_grid_step_that_is_not_324_tokens_is_named_with_a_question_mark() -> None:
    """A trace in the Sudoku vocabulary may replay while changing length; its steps have no solver event."""
    import numpy as np

    from machines.predictor import Prediction
    from machines.records import StepRecord
    from proofs_check.viewer.views import step_label

    x = np.zeros(324, np.int64)
    longer = StepRecord(t=1, x=np.zeros(325, np.int64), prediction=Prediction(y=np.zeros(325, np.int64)),
                        x_next=np.zeros(325, np.int64))
    no_y = StepRecord(t=1, x=x, prediction=Prediction(y=None), x_next=x)  # type: ignore[arg-type]
    assert step_label("grid", longer) == "?" and step_label("grid", no_y) == "?"
