"""Sphinx extension: record a few short runs as trace-viewer pages and copy them into the HTML build.

At ``build-finished`` (HTML builders only) the runs of :data:`RECORDED` are made in-process, offline, and written to
``<outdir>/viewer/NAME.html`` by :mod:`proofs_check.viewer`; the pages embed them with an ``<iframe>`` opened at a
step (``viewer/NAME.html#step=N``).  Nothing is committed: each build makes the pages from the current code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
ESCARGOT = "100007090030020008009600500005300900010080002600004000300000010040000007007000300"


def _sudoku(out: Path) -> None:
    from proofs_check.viewer.hooks import sudoku_page
    from reductions.tasks.sudoku import solve

    sudoku_page(out, solve(ESCARGOT), title="Sudoku: AI Escargot (powergen sudoku solve)", quiet=True)


def _maxflow(out: Path) -> None:
    from proofs_check.viewer.hooks import flow_page
    from reductions.tasks.maxflow import run_maxflow
    from reductions.tasks.maxflow_graph import generate_instance

    flow_page(out, run_maxflow(generate_instance(nodes=6, seed=1)),
              title="max-flow: powergen maxflow run --nodes 6 --seed 1", quiet=True)


def _demo(out: Path) -> None:
    from machines.demos import DEMO_VOCAB, demo_machine, demo_start
    from proofs_check.viewer.hooks import demo_page

    x0 = demo_start("ap-mdm", n=5, seed=0)
    res = demo_machine("ap-mdm").run(x0, seed=0, keep_records=True)
    demo_page(out, "ap-mdm", DEMO_VOCAB, x0, res, title="AP-MDM demo: powergen machines demo", quiet=True)


def _reduction(out: Path) -> None:
    from pram.programs import get_program
    from pram.rng import as_generator
    from proofs_check.viewer.hooks import reduction_page
    from reductions.lockstep import run_apmdm
    from reductions.pram_common import DEFAULT_MAX_LENGTH, DEFAULT_WORD_BITS

    prog = get_program("prefix-sums")
    inst = prog.random_instance(6, as_generator(0))
    res = run_apmdm(prog, inst, seed=0, keep_records=True)
    reduction_page(out, "thm4", prog, inst, res, policy=None, max_length=DEFAULT_MAX_LENGTH,
                   word_bits=DEFAULT_WORD_BITS, quiet=True)


def _parity(out: Path) -> None:
    from machines.paradigms import APMDM
    from proofs_check.viewer.hooks import demo_page
    from reductions.tasks.parity import VOCAB, encode_bits, oracle

    x0 = encode_bits([1, 0, 1, 1, 0, 1, 0, 0, 1])
    res = APMDM(vocab=VOCAB, predictor=oracle).run(x0, seed=0, keep_records=True)
    demo_page(out, "ap-mdm", VOCAB, x0, res, title="Parity: the paper's process on 9 bits (oracle predictor)",
              quiet=True)


def _dyck(out: Path) -> None:
    from proofs_check.viewer.hooks import demo_page
    from reductions.dyck_generator import dyck_vocabulary, make_machine, start_sequence

    x0 = start_sequence()
    res = make_machine(2, 8).run(x0, seed=1, keep_records=True)
    demo_page(out, "ap-mdm", dyck_vocabulary(2), x0, res,
              title="Theorem 5: the AP-MDM generator of two-sided Dyck-2 (powergen dyck sample --k 2 --length 8)",
              quiet=True)


RECORDED: dict[str, Callable[[Path], None]] = {
    "parity_9_bits.html": _parity,
    "dyck2_length8.html": _dyck,
    "sudoku_escargot.html": _sudoku,
    "maxflow_6_seed1.html": _maxflow,
    "demo_apmdm.html": _demo,
    "thm4_prefix_sums.html": _reduction,
}


def on_build_finished(app: Sphinx, exc: BaseException | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "viewer"
    for name, make in RECORDED.items():
        try:
            make(out / name)
        except Exception as err:  # a failed recording is a build warning (an error under -W), not a crash
            logger.warning("powergen_viewer: cannot record %s: %s", name, err, type="powergen", subtype="viewer")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
