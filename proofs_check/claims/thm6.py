"""Theorem 6 (PRESERVE): the claim and its measurement -- the AP-MDM applies T rounds in T steps; an ARM-side
solver must rebuild the history.

Sections (the PRESERVE definition and both solvers are the project's reconstruction, PAPER.md §2 Theorem 6):

1. **T sweep** (n fixed) and **length sweep** (T fixed) -- on generated instances: AP-MDM steps (= T), the most
   operations one position performs in one step (<= 2), the sequential left-to-right solver's largest per-token
   dependency depth (= T, *by construction*: the generator never remasks an original token) and its total lookups
   (<= |x_T| T), and the pointer-doubling solver's depth (= ceil(log2 T) + 1); the four answers (AP-MDM,
   sequential, parallel, brute force) must agree.  Growth verdicts are reported over each sweep.
2. **agreement** -- random small instances: the four solvers agree on the final sequence and the origins.

What is *not* checked: that no constant-depth ARM can resolve PRESERVE (the paper's conditional claim).
:func:`report` is what ``powergen check thm6`` renders and what the tour's Theorem 6 section reads.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from proofs_check.bounds import Bound
from proofs_check.claims import CheckPoint, CheckReport, Claim, register_claim
from proofs_check.cli_common import progress
from proofs_check.growth import GrowthFit, classify_growth
from proofs_check.parallel import map_items
from reductions.preserve_arm import solve_arm_style, solve_parallel
from reductions.thm6_preserve import PreserveInstance, generate_instance, random_instance, solve_apmdm, solve_bruteforce

__all__ = ["CLAIM", "EXPECTED_IN_N", "EXPECTED_IN_T", "measure", "report", "sweep"]

CLAIM = register_claim(Claim(
    id="thm6", theorem=6,
    statement_paper="AP-MDM is hard to simulate by ARM: position shifts triggered by insert/delete force the ARM to "
                    "internally reconstruct the entire edit trajectory to determine the current token at each "
                    "position (the PRESERVE problem) [S:papernotes].",
    statement_checked="On every instance: the AP-MDM (one fixed predictor reading the edit log and a clock from "
                      "the sequence) takes T steps with at most 2 operations at any position in any step (a "
                      "maximum); the sequential left-to-right solver's largest per-token dependency depth == T, "
                      "which holds by construction (the generator never remasks an original token); the "
                      "pointer-doubling solver needs ceil(log2 T) + 1 dependent steps; the sequential solver makes "
                      "at most |x_T| * T lookups; all answers agree.  Not "
                      "checked: hardness for constant-depth ARMs (log T is not constant; the paper's conditional "
                      "claim).",
    quantities=("steps", "ops_per_position", "arm_depth", "arm_lookups", "parallel_depth", "mismatch"),
    bounds=(Bound("steps", "T", ("T",), kind="eq"), Bound("ops_per_position", "2", ()),
            Bound("arm_depth", "T", ("T",), kind="eq"), Bound("arm_lookups", "final_length*T", ("final_length", "T")),
            Bound("parallel_depth", "ceiling(log(Max(T, 1), 2)) + 1", ("T",), kind="eq"),
            Bound("mismatch", "0", (), kind="eq")),
    reconstruction="The PRESERVE definition (normalised edit logs, origin question), the log-in-the-sequence AP-MDM, "
                   "the left-to-right and the pointer-doubling solvers are the project's reconstruction (PAPER.md "
                   "§2, [?]/[I])."))

Tick = Callable[[], None]


def measure(inst: PreserveInstance) -> dict[str, int]:
    """Run the four solvers on one instance; the measured quantities of one point."""
    brute = solve_bruteforce(inst)
    ap = solve_apmdm(inst)
    arm = solve_arm_style(inst)
    par = solve_parallel(inst)
    same = ap.final == brute.final and arm.answer == brute and par.answer == brute
    return {"steps": ap.steps, "ops_per_position": max(ap.max_ops_per_position, default=0),
            "arm_depth": arm.max_depth, "parallel_depth": par.depth, "arm_lookups": arm.lookups,
            "final_length": len(brute.final), "mismatch": int(not same)}


def _sweep_point(pair: tuple[int, int], *, seed: int) -> CheckPoint:
    """The point ``(n, T)`` of a sweep, its instance seeded by ``(seed, n, T)`` alone (the unit of ``--workers``)."""
    n, T = pair
    inst = generate_instance(n, T, seed=seed * 7919 + n * 131 + T)
    measured = measure(inst)
    params: dict[str, int | str] = {"n": n, "T": T}
    rendered, ok = CLAIM.check_bounds(measured, params)
    return CheckPoint(params=params, measured=measured, bounds=rendered, ok=ok)


def sweep(pairs: list[tuple[int, int]], seed: int, tick: Tick, workers: int = 1) -> list[CheckPoint]:
    """One point per ``(n, T)``, measured on ``workers`` processes (the same points for any number)."""
    points = []
    for pt in map_items(partial(_sweep_point, seed=seed), pairs, workers, cost=lambda p: p[0] * p[1]):
        points.append(pt)
        tick()
    return points


def _disagreements(inst: PreserveInstance) -> tuple[int, int]:
    """(final sequences, origins) in which the three solvers differ from the brute force on one instance."""
    brute = solve_bruteforce(inst)
    bad = int(solve_apmdm(inst).final != brute.final)
    arm = solve_arm_style(inst)
    par = solve_parallel(inst)
    bad += int(arm.answer.final != brute.final) + int(par.answer.final != brute.final)
    return bad, int(arm.answer.origin != brute.origin) + int(par.answer.origin != brute.origin)


def agreement(count: int, seed: int, tick: Tick, workers: int = 1) -> list[CheckPoint]:
    """``count`` random instances, all drawn first from one generator in order (so the instances do not depend on
    ``workers``), then solved on ``workers`` processes."""
    rng = np.random.default_rng(seed)
    instances = [random_instance(rng, int(rng.integers(0, 10)), int(rng.integers(0, 10))) for _ in range(count)]
    bad = bad_origin = 0
    for b, o in map_items(_disagreements, instances, workers):
        bad += b
        bad_origin += o
    total_rounds = sum(inst.T for inst in instances)
    tick()
    return [CheckPoint(params={"instances": count, "rounds": total_rounds},
                       measured={"final_mismatch": bad, "origin_mismatch": bad_origin},
                       bounds={"final_mismatch": "0", "origin_mismatch": "0"}, ok=bad == bad_origin == 0)]


def _fits(points: list[CheckPoint], var: str) -> dict[str, GrowthFit]:
    ns = [int(p.params[var]) for p in points]
    return {q: classify_growth(ns, [max(int(p.measured[q]), 1) for p in points])
            for q in ("steps", "arm_depth", "parallel_depth", "arm_lookups", "ops_per_position")}


#: Growth expected over each sweep.  Every quantity here also has an exact formula or an explicit bound checked at
#: every point (steps = T, sequential depth = T, parallel depth = ceil(log2 T) + 1, lookups <= |x_T| T, at most 2
#: operations per position); a growth verdict adds evidence and fails the check only when the sweep resolves it
#: (proofs_check.growth) and it contradicts the expectation.  Operations per position have no class expectation:
#: their constant bound (2) is the claim, and a counter taking the values 1 and 2 is no growth class.
EXPECTED_IN_T = {"steps": "n", "arm_depth": "n", "parallel_depth": "log n"}
EXPECTED_IN_N = {"steps": "1", "arm_depth": "1", "parallel_depth": "1", "arm_lookups": "n"}


def _growth(fits: dict[str, GrowthFit], want: dict[str, str], sweep: str) -> tuple[dict[str, str], list[str]]:
    """The verdict per quantity and the expectations a decided verdict contradicts."""
    verdicts = {q: fit.verdict for q, fit in fits.items()}
    failed = [f"growth in {sweep} of {q}: expected {c}, got {fits[q].verdict}" for q, c in want.items()
              if fits[q].is_class(c) is False]
    return verdicts, failed


def thm6_reports(seed: int = 0, *, quick: bool = False, show_progress: bool = False,
                 workers: int = 1) -> list[tuple[str, CheckReport]]:
    Ts = [4, 8, 16] if quick else [4, 8, 16, 32, 64]
    ns = [8, 16, 32] if quick else [8, 16, 32, 64, 128, 256]
    with progress(show_progress, "theorem 6", None) as advance:
        both = sweep([(32, T) for T in Ts] + [(n, 16) for n in ns], seed, advance, workers)  # one pool for both
        tsweep, nsweep = both[:len(Ts)], both[len(Ts):]
        agree = agreement(60 if quick else 300, seed, advance, workers)
    gt, failed_t = _growth(_fits(tsweep, "T"), EXPECTED_IN_T, "T")
    gn, failed_n = _growth(_fits(nsweep, "n"), EXPECTED_IN_N, "n")
    return [
        ("Theorem 6: T sweep (n = 32): AP-MDM steps = T; sequential depth = T; pointer doubling ceil(log2 T)+1",
         CheckReport("thm6", tuple(tsweep), all(p.ok for p in tsweep) and not failed_t,
                     {"seed": seed, "growth_in_T": gt, "expected_in_T": EXPECTED_IN_T, "claim_def": CLAIM.to_json()},
                     failed=tuple(failed_t))),
        ("Theorem 6: length sweep (T = 16): nothing per position grows with n",
         CheckReport("thm6-length", tuple(nsweep), all(p.ok for p in nsweep) and not failed_n,
                     {"growth_in_n": gn, "expected_in_n": EXPECTED_IN_N}, failed=tuple(failed_n))),
        ("Theorem 6: free random instances, four solvers",
         CheckReport("thm6-agreement", tuple(agree), all(p.ok for p in agree))),
    ]


def report(seed: int = 0, quick: bool = False, *, show_progress: bool = False,
           workers: int = 1) -> list[tuple[str, CheckReport]]:
    """The check's sections as ``(title, report)`` pairs (deterministic for a given seed, the same for any number of
    ``workers`` processes)."""
    return thm6_reports(seed, quick=quick, show_progress=show_progress, workers=workers)
