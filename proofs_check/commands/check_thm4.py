"""``powergen check thm4``: the face of :mod:`proofs_check.claims.thm4` (parse, call ``report``, render)."""

from __future__ import annotations

import argparse

from proofs_check.claims.thm4 import THEOREM4, report
from proofs_check.cli_common import progress
from proofs_check.commands.check_thm1 import add_sweep_flags, program_names, render_sweep

GROUP = "check"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm4", help="Theorem 4: AP-MDM simulates PRAM in O(T) steps with O(S + P) context")
    add_sweep_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Parse, call :func:`proofs_check.claims.thm4.report`, render."""
    with progress(not args.json, "check thm4", None) as advance:
        result = report(args.seed, args.quick, programs=program_names(args), max_n=args.max_n, policy=args.policy,
                        advance=advance, workers=args.workers)
    return render_sweep(result, args, THEOREM4)
