"""``powergen check thm5``: the face of :mod:`proofs_check.claims.thm5` (parse, call ``report``, render).

The AP-MDM generates exactly two-sided Dyck-k; ARMs with bounded state cannot.  The five sections and what each
measures are stated in :mod:`proofs_check.claims.thm5`.
"""

from __future__ import annotations

import argparse
from typing import Any

from proofs_check.claims.thm5 import report
from proofs_check.cli_common import add_json_flag, add_seed_flag
from proofs_check.inputs import int_type
from proofs_check.parallel import add_workers_flag
from proofs_check.report_render import finish_sections

GROUP = "check"

COLUMNS: dict[str, list[Any]] = {
    "thm5": ["k", "n", "generator", "bruteforce", "recurrence", "steps", ("bound 3n/2", "bounds.steps")],
    "thm5-samples": ["k", "lengths", "samples", "invalid", ("bad length", "wrong_length"),
                     ("machine runs", "machine_runs"), ("differ", "machine_mismatch")],
    "thm5-windows": ["arm", "non-member at", "missed at", ("derived", "bounds.derived"), "example"],
    "thm5-reduction": ["arm", "max length", "words", "errors", "verified", "exact"],
    "thm5-state": ["n", "states", "closed_form", "bits", "all_pairs_separated"],
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm5", help="Theorem 5: AP-MDM generates exactly two-sided Dyck-k; bounded ARMs fail")
    p.add_argument("--quick", action="store_true", help="small sizes only (k=2 up to 8, k=3 up to 6, 1000 samples)")
    p.add_argument("--k2-length", type=int_type(negative=True), default=None,
                   help="largest length for k=2, 0..14 (default 12)")
    p.add_argument("--k3-length", type=int_type(negative=True), default=None,
                   help="largest length for k=3, 0..10 (default 10)")
    add_seed_flag(p)
    add_json_flag(p)
    add_workers_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proofs_check.errors import UsageError

    for name, top in (("k2_length", 14), ("k3_length", 10)):  # beyond: (2k)^n words, or int64 matrix overflow
        value = getattr(args, name)
        if value is not None and not 0 <= value <= top:
            raise UsageError(f"--{name.replace('_', '-')} must be in 0..{top}, got {value}")
    sections = report(args.seed, args.quick, k2=args.k2_length, k3=args.k3_length, show_progress=not args.json,
                      workers=args.workers)
    notes = [f"bits of state vs n: growth class {sections[4][1].extra['bits_growth']} (linear bits = "
             "exponentially many states); odd lengths hold no Dyck word"]
    return finish_sections(sections, args, COLUMNS, notes=notes)
