"""``powergen check thm4``: Theorem 4 (PRAM -> AP-MDM) measured over a sweep of n on every library program."""

from __future__ import annotations

import argparse

from proofs_check.commands.check_thm1 import add_sweep_flags, run_check
from proofs_check.thm14 import THEOREM4

GROUP = "check"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("thm4", help="Theorem 4: AP-MDM simulates PRAM in O(T) steps with O(S + P) context")
    add_sweep_flags(p)
    p.set_defaults(func=lambda args: run_check(args, THEOREM4))
