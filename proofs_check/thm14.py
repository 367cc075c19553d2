"""The claims of Theorems 1 and 4 and how one point of each is measured.

Each point runs the construction on one random instance in lock step with the PRAM
(:mod:`reductions.lockstep`), compares the output with the program's independent oracle, and holds the measured
counters against the claim's exact formulas and bounds (:mod:`proofs_check.bounds`).
"""

from __future__ import annotations

import zlib
from typing import Any

import sympy as sp

from machines.errors import DisciplineViolation
from pram.machine import Program
from pram.programs import get_program
from pram.rng import as_generator
from proofs_check.bounds import Bound, in_class, parse_expr
from proofs_check.claims import CheckPoint, Claim, register_claim
from reductions.errors import LockstepMismatch
from reductions.lockstep import ReductionRun, run_apmdm, run_mdm

__all__ = ["THM1", "THM4", "context_in_O1_of_T", "in_class_of_T", "measure"]

THM1_STEPS = "T + 1"
THM1_CONTEXT = "2*S + P*K + T*P*(K + 2*W)"
THM4_STEPS = "Min(T, 1)*(ceiling(log(K + 2*W + 1, 2)) + 1) + 2*T"
THM4_CONTEXT = "S + 2 + Min(P, 1) + P*(2 + 2*K + 2*W)"
LOOKUPS = "2 + R"

THM1 = register_claim(Claim(
    id="thm1", theorem=1,
    statement_paper="For any PRAM program running on input x in at most T(n) parallel time with P(n) maximum "
                    "processors, there exists an MDM that matches the PRAM output in O(T(n)) decoding steps, with "
                    "context length S(n) = O(P(n) T(n)).  [PAPER.md §2, V:moonlight]",
    statement_checked="On every library program and measured instance, the MDM of reductions.pram_to_mdm (run on "
                      "machines.MDM, discipline checked every step) matches the PRAM state after every PRAM step "
                      "(lock step) and the oracle's output; steps == T + 1 and context == 2S + PK + T P (K + 2W) "
                      "exactly (P = processor rows, K registers, W write ports, S cells); every position makes at "
                      "most 2 + R lookups; steps in O(T).",
    quantities=("steps", "context", "lookups"),
    bounds=(Bound("steps", THM1_STEPS, ("T",), kind="eq"),
            Bound("context", THM1_CONTEXT, ("S", "P", "K", "W", "T"), kind="eq"),
            Bound("lookups", LOOKUPS, ("R",))),
    reconstruction="The construction (write-once blocks of K + 2W tokens per processor per step, the lookup "
                   "'latest write to an address', lowest-pid priority, the final memory copy as the output section) "
                   "is the project's reconstruction [I]; the paper's proof (E-FASP) is not available."))

THM4 = register_claim(Claim(
    id="thm4", theorem=4,
    statement_paper="AP-MDM can reproduce any S(n)-memory PRAM program using O(S(n)) context and O(T(n)) steps "
                    "(optimal parallel time and optimal space).  [PAPER.md §2, S:papernotes]",
    statement_checked="On every library program and measured instance, the AP-MDM of reductions.pram_to_apmdm (run "
                      "on machines.APMDM) matches the PRAM state after every PRAM step and the oracle's output; "
                      "steps == ceil(log2(K + 2W + 1)) + 2T + 1 and peak context == S + 3 + P (2 + 2K + 2W) exactly "
                      "(0 steps and S + 2 tokens when no processor starts; P = processors live at the start = peak "
                      "active); every position makes at most 2 + R "
                      "lookups; the context is O(1) in T for fixed S and P.",
    quantities=("steps", "context", "lookups"),
    bounds=(Bound("steps", THM4_STEPS, ("K", "W", "T"), kind="eq"),
            Bound("context", THM4_CONTEXT, ("S", "P", "K", "W"), kind="eq"),
            Bound("lookups", LOOKUPS, ("R",))),
    reconstruction="The schedule (open scratch by insert; compute = unmask scratch + remask written cells; commit = "
                   "unmask cells + remask scratch; delete halted processors) is the project's reconstruction [I] "
                   "of the sketch in PAPER.md §2.  Context counts S cells plus O(1) tokens per live processor."))


def in_class_of_T(expr: str, values: dict[str, int], big_o: str) -> bool:
    """Is ``expr`` (every variable but T fixed to ``values``) in O(``big_o``) as T -> oo?  (sympy, one variable.)

    Examples
    --------
    >>> in_class_of_T(THM4_STEPS, {"K": 5, "W": 1}, "T"), in_class_of_T(THM1_STEPS, {}, "1")
    (True, False)
    """
    names = ("S", "P", "K", "W", "T", "R")
    e = parse_expr(expr, names)
    subs = {sp.Symbol(k, nonnegative=True, integer=True): sp.Integer(v) for k, v in values.items() if k != "T"}
    return in_class(str(e.subs(subs)), "T", big_o)


def context_in_O1_of_T(expr: str, values: dict[str, int]) -> bool:
    """Is ``expr`` (with everything but T fixed to ``values``) in O(1) as T -> oo?  (sympy, one variable.)

    Examples
    --------
    >>> context_in_O1_of_T(THM4_CONTEXT, {"S": 8, "P": 4, "K": 2, "W": 1})
    True
    >>> context_in_O1_of_T(THM1_CONTEXT, {"S": 8, "P": 4, "K": 2, "W": 1})
    False
    """
    return in_class_of_T(expr, values, "1")


def instance(program: Program, n: int, seed: int) -> Any:
    """The random instance of size ``n`` used at a sweep point (seeded per (program, n, seed))."""
    mixed = (seed * 1_000_003 + n * 7_919 + zlib.crc32(program.name.encode())) % (1 << 63)
    return program.random_instance(n, as_generator(mixed))


def _measured(run: ReductionRun) -> dict[str, int]:
    lay = run.layout
    return {"T": run.pram_counters.time, "P": int(lay["P"]), "S": int(lay["S"]),
            "steps": run.machine_counters.steps, "context": run.machine_counters.peak_length,
            "lookups": run.lookups_max}


def measure(theorem: str, program_name: str, n: int, seed: int, *, policy: str | None = None,
            max_length: int | None = None) -> tuple[CheckPoint, ReductionRun | None]:
    """Run one point of ``theorem`` (``"thm1"`` or ``"thm4"``) and check it against its claim.

    Examples
    --------
    >>> pt, _ = measure("thm4", "sum", 8, 0)
    >>> pt.ok, pt.measured["steps"] == int(pt.bounds["steps"])
    (True, True)
    """
    program = get_program(program_name)
    claim = THM1 if theorem == "thm1" else THM4
    inst = instance(program, n, seed)
    runner = run_mdm if theorem == "thm1" else run_apmdm
    kwargs: dict[str, Any] = {"policy": policy, "seed": seed}
    if max_length is not None:
        kwargs["max_length"] = max_length
    params: dict[str, int | str] = {"program": program_name, "n": n}
    consts = {"K": program.num_registers, "W": program.num_writes, "R": program.num_reads}
    try:
        run = runner(program, inst, **kwargs)
    except (LockstepMismatch, DisciplineViolation) as exc:
        return CheckPoint(params=params, measured={}, bounds={}, ok=False, note=f"{type(exc).__name__}: {exc}"), None
    measured = _measured(run)
    rendered, ok = claim.check_bounds(measured, {**params, **consts})
    notes = []
    expected = program.oracle(inst)
    if run.output != expected:
        ok = False
        notes.append(f"output {run.output!r} != oracle {expected!r}")
    if run.pram_output != expected:
        ok = False
        notes.append("the PRAM's own output differs from the oracle")
    return CheckPoint(params=params, measured=measured, bounds=rendered, ok=ok, note="; ".join(notes)), run
