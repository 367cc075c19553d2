"""Theorem 4 (PRAM -> AP-MDM): the claim, the theorem object and its report (the sweep of
:func:`proofs_check.simulation.sweep_report`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from proofs_check.bounds import Bound
from proofs_check.claims import CheckReport, Claim, register_claim
from proofs_check.simulation import NC_PROGRAMS, SIZE_CAPS, SimulationTheorem, sweep_report
from reductions.lockstep import run_apmdm

__all__ = ["THEOREM4", "THM4", "THM4_CONTEXT", "THM4_STEPS", "report"]

THM4_STEPS = "Min(T, 1)*(ceiling(log(K + 2*W + 1, 2)) + 1) + 2*T"
THM4_CONTEXT = "S + 2 + Min(P, 1) + P*(2 + 2*K + 2*W)"
THM4_LOOKUPS = "8 + R"

THM4 = register_claim(Claim(
    id="thm4", theorem=4,
    statement_paper="AP-MDM can reproduce any S(n)-memory PRAM program using O(S(n)) context and O(T(n)) steps "
                    "(optimal parallel time and optimal space).  [PAPER.md §2, S:papernotes]",
    statement_checked="On every library program and measured instance, the AP-MDM of reductions.pram_to_apmdm (run "
                      "on machines.APMDM) matches the PRAM state after every PRAM step and the oracle's output; "
                      "steps == ceil(log2(K + 2W + 1)) + 2T + 1 and peak context == S + 3 + P (2 + 2K + 2W) exactly "
                      "(0 steps and S + 2 tokens when no processor starts; P = processors live at the start = peak "
                      "active, both the PRAM's own counters); every position makes at most 8 + R lookups, "
                      "counted by the hard-attention helper that performs them; the context is O(1) in T for fixed "
                      "S and P.",
    quantities=("steps", "context", "lookups"),
    bounds=(Bound("steps", THM4_STEPS, ("K", "W", "T"), kind="eq"),
            Bound("context", THM4_CONTEXT, ("S", "P", "K", "W"), kind="eq"),
            Bound("lookups", THM4_LOOKUPS, ("R",))),
    reconstruction="The schedule (open scratch by insert; compute = unmask scratch + remask written cells; commit = "
                   "unmask cells + remask scratch; delete halted processors) is the project's reconstruction [I] "
                   "of the sketch in PAPER.md §2.  Context counts S cells plus O(1) tokens per live processor."))

THEOREM4 = SimulationTheorem(
    claim=THM4, runner=run_apmdm, max_n=SIZE_CAPS, context_O1_in_T=True,
    growth={"*": (("steps", "same_as", "T"), ("context", "same_as", "S")),
            **{name: (("steps", "at_most", "log^2 n"), ("steps", "same_as", "T"), ("context", "same_as", "S"))
               for name in NC_PROGRAMS},
            "iterate": (("steps", "class", "n"), ("context", "class", "1"), ("context", "same_as", "S"))})


def report(seed: int = 0, quick: bool = False, *, programs: Sequence[str] | None = None, max_n: int | None = None,
           policy: str | None = None, advance: Callable[[int], None] | None = None, workers: int = 1) -> CheckReport:
    """The whole check of Theorem 4: the sweep over the library (quick: n <= 16).
    """
    return sweep_report(THEOREM4, seed, quick=quick, programs=programs, max_n=max_n, policy=policy,
                        advance=advance, workers=workers)
