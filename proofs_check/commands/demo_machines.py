"""``powergen machines demo``: run one paradigm's small oracle predictor (copy a prompt) and optionally write its trace.

The oracle predictors are :mod:`machines.demos`; ``--embed`` runs the same task through the AP-MDM embedding of the
paradigm (:mod:`machines.paradigm_embeddings`) and reports both step counts.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from machines.demos import DEMO_VOCAB, demo_machine, demo_start
from machines.discipline import PARADIGMS
from machines.io import check_writable
from machines.paradigm_embeddings import check_embedding
from machines.trace import write_trace
from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    pos_int,
    stdout_console,
)
from proofs_check.inputs import add_time_flag, check_cap, check_seconds

GROUP = "machines"
#: seconds per (step x token) of a demo run, measured (masked-arm, n = 5000: 1.9 s for 2n steps of length 2n),
#: rounded up; --embed runs the machine and its AP-MDM embedding (about three times the work)
SECONDS_PER_STEP_TOKEN = 1e-7


def estimate_seconds(n: int, max_steps: int, embed: bool) -> float:
    """Estimated seconds of a demo on a prompt of ``n`` letters: at most ``min(max_steps, 2n + 2)`` steps over a
    sequence of at most ``2n + 2`` tokens (copying the prompt doubles it)."""
    length = 2 * n + 2
    return SECONDS_PER_STEP_TOKEN * min(max_steps, length) * length * (3 if embed else 1)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run a small oracle predictor (copy a prompt) on one paradigm")
    p.add_argument("--paradigm", choices=PARADIGMS, default="ap-mdm", help="which machine (default ap-mdm)")
    p.add_argument("--n", type=pos_int, default=5, help="prompt length (default 5)")
    p.add_argument("--max-steps", type=pos_int, default=10_000, help="step cap (default 10000)")
    p.add_argument("--max-length", type=pos_int, default=1_000_000, help="length cap (default 1000000)")
    p.add_argument("--trace", metavar="FILE", help="write the run's JSONL trace to FILE")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML page that plays the run")
    p.add_argument("--embed", action="store_true", help="also run the AP-MDM embedding and compare")
    add_time_flag(p)
    add_seed_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_cap("the demo's sequence length (2n + 2 for a prompt of n letters)", 2 * args.n + 2, args.max_length,
              "--max-length")
    check_seconds(args, estimate_seconds(args.n, args.max_steps, args.embed), f"the {args.paradigm} demo")
    if args.trace is not None:
        check_writable(args.trace)  # an unwritable path is refused before the run (one line, exit 2)
    if args.html is not None:
        check_writable(args.html)
    machine = demo_machine(args.paradigm, max_steps=args.max_steps, max_length=args.max_length)
    x0 = demo_start(args.paradigm, n=args.n, seed=args.seed)
    res = machine.run(x0, seed=args.seed, keep_records=args.trace is not None or args.html is not None)
    if args.html is not None:
        from proofs_check.viewer.hooks import demo_page
        demo_page(args.html, args.paradigm, DEMO_VOCAB, x0, res)
    if args.trace is not None:
        assert res.records is not None
        write_trace(args.trace, paradigm=args.paradigm, vocab=DEMO_VOCAB, records=res.records,
                    halt_reason=res.halt_reason, start=x0, halt_on_eos=machine.halt_on_eos)
    emb = check_embedding(machine, x0, seed=args.seed) if args.embed and args.paradigm != "ap-mdm" else None
    ok = emb is None or emb.ok
    if args.json:
        out: dict[str, object] = {"schema": "powergen.machines-demo/1", "paradigm": args.paradigm, "n": args.n,
                                  "seed": args.seed, "start": DEMO_VOCAB.decode(x0),
                                  "final": DEMO_VOCAB.decode(res.final), "halt": res.halt_reason,
                                  "counters": res.counters.to_json(), "trace": args.trace}
        if emb is not None:
            out["embedding"] = {"ok": emb.ok, "source_steps": emb.source_steps, "target_steps": emb.target_steps,
                                "source_halt": emb.source_halt, "target_halt": emb.target_halt,
                                "reason": emb.reason}
        emit_json(out)
        return EXIT_OK if ok else EXIT_FAILED
    con = stdout_console()
    c = res.counters
    table = Table(title=f"{args.paradigm} demo: copy a prompt of {args.n} letters (seed {args.seed})")
    table.add_column("quantity")
    table.add_column("value")
    rows = [("start", " ".join(DEMO_VOCAB.decode(x0))), ("final", " ".join(DEMO_VOCAB.decode(res.final))),
            ("halt", res.halt_reason), ("steps", str(c.steps)), ("peak length", str(c.peak_length)),
            ("tokens processed", str(c.tokens_processed)),
            ("unmasked / remasked / inserted / deleted", f"{c.unmasked} / {c.remasked} / {c.inserted} / {c.deleted}")]
    if emb is not None:
        rows.append(("AP-MDM embedding", f"{'ok' if emb.ok else 'FAILED'}: {emb.source_steps} -> {emb.target_steps} "
                                         f"steps, halt {emb.source_halt} -> {emb.target_halt}"))
    if args.trace is not None:
        rows.append(("trace", args.trace))
    for k, v in rows:
        table.add_row(k, v)
    con.print(table)
    return EXIT_OK if ok else EXIT_FAILED
