"""``powergen check thm2``: the face of :mod:`proofs_check.claims.thm2` (parse, call ``report``, render).

MDM decoding with context S on one processor, counted operation by operation; what is measured is stated in
:mod:`proofs_check.claims.thm2`.
"""

from __future__ import annotations

import argparse

from proofs_check.claims.thm2 import DEFAULT_SIZES, C, report
from proofs_check.cli_common import add_json_flag, add_seed_flag, pos_int, progress, require
from proofs_check.parallel import add_workers_flag
from proofs_check.report_render import Column, finish

GROUP = "check"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm2", help="Theorem 2: MDM decoding on one processor in O(S^3 log S) counted operations")
    p.add_argument("--max-s", type=pos_int, default=4096, help="largest S of the sweep (powers of two from 4)")
    p.add_argument("--interpret-max", type=pos_int, default=32,
                   help="run the counting interpreter up to this S (default 32)")
    p.add_argument("--machine-max", type=pos_int, default=256,
                   help="run the vectorised MDM machine up to this S (default 256)")
    p.add_argument("--k", type=pos_int, default=1, help="tokens unmasked per step (default 1: the most steps)")
    p.add_argument("--quick", action="store_true",
                   help="small sizes only (S <= 256, machine up to 64, interpreter up to 16)")
    add_seed_flag(p)
    add_json_flag(p)
    add_workers_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    require(args.max_s >= 4, f"--max-s must be >= 4, got {args.max_s}")
    total = sum(1 for S in DEFAULT_SIZES if S <= (min(args.max_s, 256) if args.quick else args.max_s))
    with progress(not args.json, "theorem 2", total) as advance:
        result = report(args.seed, args.quick, max_s=args.max_s, k=args.k, machine_max=args.machine_max,
                        interpret_max=args.interpret_max, tick=advance, workers=args.workers)
    notes = [f"bound: ops <= {C} * S^3 * log2 S (explicit c, valid for S >= 4); ratio = ops / (S^3 log2 S); "
             "d = O(log S) steps up at S = 32 and 512 (a multiple of 2*heads), so the doubling ratios jump there"]
    if "growth_ops" in result.extra:
        g, gl, gs = result.extra["growth_ops"], result.extra["growth_ops_over_log2S"], result.extra["growth_steps"]
        notes.append(f"growth of ops: {g['verdict']!r}, doubling ratios {[round(r, 2) for r in g['ratios']]}; "
                     f"ops / log2 S: {gl['verdict']!r}; steps: {gs['verdict']!r} (reported, not part of the verdict: "
                     "the exact count and the explicit bound are)")
    notes.extend(f"S={p.params['S']}: {p.note}" for p in result.points if p.note and "interp_ops" in p.measured)
    columns: list[Column] = ["S", "d", "masks", "steps", ("serial ops (formula)", "measured.ops"),
               ("interpreter ops", "measured.interp_ops"), "equal", ("bound c·S³·log2 S", "bounds.ops"), "ratio"]
    return finish(result, args, columns, title="Theorem 2: MDM with context S on one processor", notes=notes)
