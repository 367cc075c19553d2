"""The trace page in a real browser: headless Chromium (Debian package) renders ``#step=N``; the DOM it dumps is
compared with the state the Python replay computes at step N, for a Sudoku, a max-flow and a reduction trace.

Set-up: ``scripts/install_browser.sh`` (apt: chromium).  Without ``/usr/bin/chromium`` every test here is SKIPPED
with that reason (never passed silently).  Each test starts Chromium a few times (about 1-2 s per start), so they
are marked ``slow``.

Oracles: the trace file's steps re-applied by :func:`machines.discipline.advance` (what ``powergen trace replay``
runs), the task parsers of :mod:`reductions.tasks` and, for the augmenting path, the next step of the trace itself
(the AUG_FLIP step flips exactly the path's edges).  The page's JavaScript shares no code with any of them.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from machines.discipline import advance
from machines.trace import Trace, read_trace, replay
from proofs_check.cli import main
from reductions.tasks.maxflow import decide, parse_state

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed (/usr/bin/chromium is "
                                                     "missing); run scripts/install_browser.sh to enable these tests"),
]
ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def _chromium(page: Path, step: int, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *extra,
                              f"{page.resolve().as_uri()}#step={step}"],
                             capture_output=True, text=True, timeout=180, check=True)
    return out.stdout


class _Elements(HTMLParser):
    """Every element's attributes, in document order, for the elements that carry a data attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = {k: v or "" for k, v in attrs}
        if any(k.startswith("data-") for k in d):
            self.found.append(d)


def dom_at(page: Path, step: int) -> list[dict[str, str]]:
    """The data-carrying elements of the page rendered at ``#step=step`` (checks the page did render it)."""
    p = _Elements()
    p.feed(_chromium(page, step, "--dump-dom"))
    body = [e for e in p.found if "data-rendered-step" in e]
    assert body and body[0]["data-rendered-step"] == str(step), "the page did not render the step from the URL"
    return p.found


def replayed_states(trace: Trace) -> list[list[str]]:
    """x_0, ..., x_T by re-applying every step's prediction to the previous state (the Python replay)."""
    v = trace.vocab
    assert replay(trace).ok and trace.start is not None
    x = np.asarray(trace.start, dtype=np.int64)
    out = [v.decode(x)]
    for k, rec in enumerate(trace.records, start=1):
        x = advance(trace.paradigm, x, rec.prediction, step=k, mask_id=v.mask_id, vocab_size=v.size).x_next
        out.append(v.decode(x))
    return out


def strip_of(elements: list[dict[str, str]]) -> list[str]:
    cells = [e for e in elements if "data-pos" in e and "data-tok" in e]
    assert [int(e["data-pos"]) for e in cells] == list(range(len(cells)))
    return [e["data-tok"] for e in cells]


def counters_of(elements: list[dict[str, str]]) -> dict[str, str]:
    return next(e for e in elements if e.get("id") == "counters")


def label_of(elements: list[dict[str, str]]) -> str:
    """The step name the page shows above its operations."""
    return next(e for e in elements if e.get("class") == "ophead")["data-label"]


def _page_label(page: Path, n: int) -> str:
    import json

    text = page.read_text(encoding="utf-8")
    data = json.loads(text.split('id="trace-data">', 1)[1].split("</script>", 1)[0])
    return str(data["label_names"][data["labels"][n - 1]])


def _write(tmp: Path, argv: list[str]) -> tuple[Path, Trace]:
    trace, page = tmp / "t.jsonl", tmp / "t.html"
    assert main([*argv, "--trace", str(trace), "--html", str(page)]) in (0, 1)
    return page, read_trace(trace)


def test_sudoku_page_matches_replay(tmp_path: Path) -> None:
    page, trace = _write(tmp_path, ["sudoku", "solve", ESCARGOT])
    states = replayed_states(trace)
    assert len(states) == 467
    for n in (0, 1, 2, 257, 300, 466):  # 257, 300: past the page's first checkpoint (every 256 steps)
        els = dom_at(page, n)
        assert strip_of(els) == states[n]
        cells = sorted((e for e in els if "data-cell" in e), key=lambda e: int(e["data-cell"]))
        assert len(cells) == 81
        for k, cell in enumerate(cells):
            value, colour, marker = states[n][4 * k:4 * k + 3]
            want = "" if value == "[EMPTY]" else "?" if value == "[MASK]" else value
            assert (cell["data-value"], cell["data-colour"], cell["data-marker"]) == (want, colour, marker)
            changed = n > 0 and states[n][4 * k:4 * k + 4] != states[n - 1][4 * k:4 * k + 4]
            assert bool(cell["data-op"]) == changed, (n, k)
        c = counters_of(els)
        assert (c["data-step"], c["data-length"], c["data-peak"]) == (str(n), "324", "324")
        # the solver event of the step: every search opens with a cell choice and ends with a refill's marker or
        # an assign; in between, the page shows the name its data carries for that step
        label = label_of(els)
        assert label == ("" if n == 0 else "cell-choice" if n == 1 else _page_label(page, n))
        assert n != 466 or label in ("assign", "refill-marker")


def test_maxflow_page_matches_replay(tmp_path: Path) -> None:
    page, trace = _write(tmp_path, ["maxflow", "run", "--nodes", "7", "--seed", "3"])
    states = replayed_states(trace)
    v = trace.vocab
    start = parse_state(np.asarray(trace.start))
    start_edges = {(e.u, e.v) for e in start.edges}
    phases = [decide(np.asarray(r.x))[0] for r in trace.records]
    flips = [k for k, ph in enumerate(phases) if ph == "AUG_FLIP"]  # step k+1 flips; show state k
    T = len(states) - 1
    assert flips and phases[-1] == "APPEND_EOS"
    cut_mark = phases.index("CUT_MARK") + 1
    for n in sorted({0, 3, flips[0], flips[-1], cut_mark, T}):
        els = dom_at(page, n)
        assert strip_of(els) == states[n]
        assert label_of(els) == ("" if n == 0 else phases[n - 1])  # the phase of the step that led here
        seq = [v.id_of(t) for t in states[n]]
        st = parse_state(seq)
        edges = {(int(e["data-u"]), int(e["data-v"])): e for e in els if "data-edge" in e}
        assert set(edges) == start_edges
        for e in st.edges:
            if e.marked:
                continue
            slots = [states[n][p] for p in e.slots]
            want = ("init" if len(slots) < 2 else "free" if slots == ["[FB]", "[MASK]"] else
                    "flow" if slots == ["[MASK]", "[FB]"] else "masked")
            assert edges[(e.u, e.v)]["data-state"] == want, (n, e.u, e.v)
        assert sum(e["data-state"] == "marked" for e in edges.values()) == sum(e.marked for e in st.edges)
        nodes = {int(e["data-node"]): e for e in els if "data-node" in e}
        for node in st.nodes:
            lv = states[n][node.slots[0]] if node.slots else "?"
            want_lv = "inf" if lv == "[INF]" else "?" if lv == "[MASK]" else lv[4:-1] if lv.startswith("[LVL") else lv
            assert nodes[node.ident]["data-level"] == want_lv, (n, node.ident)
        if n in flips:  # the path drawn at state n is what the next step (AUG_FLIP) flips
            after = parse_state([v.id_of(t) for t in states[n + 1]])
            flipped = {(a.u, a.v) for a, b in zip(st.edges, after.edges, strict=True)
                       if [seq[p] for p in a.slots] != [v.id_of(t) for t in (states[n + 1][p] for p in b.slots)]}
            assert flipped and {k for k, e in edges.items() if e["data-path"] == "1"} == flipped
    final = dom_at(page, T)
    deleted = {(int(e["data-u"]), int(e["data-v"])) for e in final if e.get("data-state") == "deleted"}
    remaining = {(e.u, e.v) for e in parse_state([v.id_of(t) for t in states[T]]).edges}
    assert deleted == start_edges - remaining and deleted


@pytest.mark.parametrize("theorem", ["thm1", "thm4"])
def test_reduction_page_matches_replay(theorem: str, tmp_path: Path) -> None:
    from pram.programs import get_program
    from reductions.lockstep import run_apmdm, run_mdm
    from reductions.pram_to_apmdm import build_apmdm
    from reductions.pram_to_mdm import build_mdm

    page = tmp_path / "r.html"
    assert main(["reduce", theorem, "--program", "prefix-sums", "--n", "5", "--seed", "2", "--html",
                 str(page)]) == 0
    # the trace of the same run, written through the trace module (the page was built without it)
    from machines.trace import write_trace
    from pram.rng import as_generator

    prog = get_program("prefix-sums")
    inst = prog.random_instance(5, as_generator(2))
    runner, build = (run_mdm, build_mdm) if theorem == "thm1" else (run_apmdm, build_apmdm)
    res = runner(prog, inst, seed=2, keep_records=True)
    con, x0 = build(prog, inst)
    write_trace(tmp_path / "r.jsonl", paradigm="mdm" if theorem == "thm1" else "ap-mdm", vocab=con.vocab,
                records=res.records or (), halt_reason=res.halt_reason, start=x0)
    trace = read_trace(tmp_path / "r.jsonl")
    states = replayed_states(trace)
    T = len(states) - 1
    for n in sorted({0, 1, T // 2, T}):
        els = dom_at(page, n)
        assert strip_of(els) == states[n]
        assert counters_of(els)["data-length"] == str(len(states[n]))
        if n:
            deletes = int(np.sum(np.asarray(trace.records[n - 1].prediction.delete if trace.records[n - 1]
                                            .prediction.delete is not None else [0])))
            assert sum(e.get("data-op") == "delete" for e in els if "data-tok" in e) == deletes


def _png_pixels(data: bytes) -> np.ndarray:
    """A tiny PNG decoder (8-bit RGB/RGBA, not interlaced) with zlib: (H, W, channels) uint8."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", b""
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = int.from_bytes(head[0:4], "big"), int.from_bytes(head[4:8], "big")
    depth, ctype, interlace = head[8], head[9], head[12]
    assert depth == 8 and ctype in (2, 6) and interlace == 0
    ch = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for r in range(h):
        f = raw[r * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=r * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        if f in (0, 2):
            cur = (line + (prev if f == 2 else 0)) % 256
        else:
            for i in range(stride):
                a = int(cur[i - ch]) if i >= ch else 0
                b = int(prev[i])
                c = int(prev[i - ch]) if i >= ch else 0
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                cur[i] = (int(line[i]) + pred) % 256
        out[r] = cur
        prev = cur
    return out.reshape(h, w, ch)[:, :, :3].astype(np.uint8)


def test_screenshot_is_not_blank(tmp_path: Path) -> None:
    """The Sudoku page at a step with open branches: the screenshot shows the grid's branch colours."""
    page, _ = _write(tmp_path, ["sudoku", "solve", ESCARGOT])
    shot = tmp_path / "shot.png"
    _chromium(page, 300, f"--screenshot={shot}", "--window-size=1000,700")
    px = _png_pixels(shot.read_bytes())
    assert px.shape[0] >= 600 and px.shape[1] >= 900
    dark = (px.astype(np.int32).sum(axis=2) < 200).mean()
    palette = {(0xf4, 0xa6, 0xa6), (0xf7, 0xc6, 0x8b), (0xf2, 0xe3, 0x94), (0xb9, 0xe3, 0xa0), (0x9f, 0xd8, 0xc9),
               (0xa6, 0xcb, 0xf0), (0xb7, 0xb0, 0xee)}  # the first seven branch colours of page.js
    flat = px.reshape(-1, 3)
    coloured = sum(int(np.all(flat == np.array(c, dtype=np.uint8), axis=1).sum()) for c in palette)
    assert dark > 0.005, "no text or lines drawn"
    assert coloured > 2000, "no branch-coloured Sudoku cells drawn"
    os.unlink(shot)
