"""The claims of Theorems 1 and 4 and how one point of each is measured.

Each point runs the construction on one random instance in lock step with the PRAM
(:mod:`reductions.lockstep`), compares the output with the program's independent oracle, and holds the measured
counters against the claim's exact formulas and bounds (:mod:`proofs_check.bounds`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from machines.errors import MachineError
from pram.errors import PramError
from pram.machine import Program
from pram.programs import get_program
from pram.rng import as_generator
from proofs_check.bounds import Bound, in_class, parse_expr
from proofs_check.claims import CheckPoint, Claim, register_claim
from proofs_check.errors import ClaimError
from reductions.errors import ReductionError
from reductions.lockstep import ReductionRun, run_apmdm, run_mdm

__all__ = ["POINT_ERRORS", "SIZE_CAPS", "THEOREM1", "THEOREM4", "THM1", "THM4", "SimulationTheorem",
           "context_in_O1_of_T", "in_class_of_T", "judge", "measure", "simulation_theorem"]

#: MDM steps: T + 1 when the start sequence has a mask (S > 0 or P T > 0), else 0 (the empty instance, S = 0).
THM1_STEPS = "Min(S + P*T, 1)*(T + 1)"
THM1_CONTEXT = "2*S + P*K + T*P*(K + 2*W)"
#: The explicit-constant bound in PRAM terms: context <= c P T + 2 S + d with c = 2(K + W) (a constant of the
#: program) and d = 0 (P K <= K P T because a processor live at the start makes T >= 1).
THM1_CONTEXT_LE = "2*(K + W)*P*T + 2*S"
THM4_STEPS = "Min(T, 1)*(ceiling(log(K + 2*W + 1, 2)) + 1) + 2*T"
THM4_CONTEXT = "S + 2 + Min(P, 1) + P*(2 + 2*K + 2*W)"
LOOKUPS = "2 + R"
THM4_LOOKUPS = "8 + R"

THM1 = register_claim(Claim(
    id="thm1", theorem=1,
    statement_paper="For any PRAM program running on input x in at most T(n) parallel time with P(n) maximum "
                    "processors, there exists an MDM that matches the PRAM output in O(T(n)) decoding steps, with "
                    "context length S(n) = O(P(n) T(n)).  [PAPER.md §2, V:moonlight]",
    statement_checked="On every library program and measured instance, the MDM of reductions.pram_to_mdm (run on "
                      "machines.MDM, discipline checked every step) matches the PRAM state after every PRAM step "
                      "(lock step) and the oracle's output; with T, P, S the PRAM's own counters (time, peak "
                      "processors, memory cells; the layout's processor rows must equal P), steps == T + 1 (0 when "
                      "S = 0: nothing to decode) and context == 2S + PK + T P (K + 2W) exactly, so context <= "
                      "2(K + W) P T + 2S (K registers, W write ports); every position makes at most 2 + R lookups, "
                      "counted by the hard-attention helper that performs them; steps in O(T).",
    quantities=("steps", "context", "lookups"),
    bounds=(Bound("steps", THM1_STEPS, ("S", "P", "T"), kind="eq"),
            Bound("context", THM1_CONTEXT, ("S", "P", "K", "W", "T"), kind="eq"),
            Bound("context", THM1_CONTEXT_LE, ("S", "P", "K", "W", "T")),
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


#: Largest n per program in the sweeps of both theorems (powers of two from 4); one table for Theorems 1 and 4.
SIZE_CAPS: dict[str, int] = {"connectivity": 1024, "prefix-sums": 512, "parity": 512, "sum": 512,
                             "list-ranking": 256, "dyck": 256, "sort": 64, "sat": 8, "iterate": 256}
#: Programs of the library in NC (polylog T): their MDM / AP-MDM steps must grow at most like log^2 n.
NC_PROGRAMS = ("connectivity", "dyck", "list-ranking", "parity", "prefix-sums", "sort", "sum")

#: An expectation on a growth verdict: ``(quantity, kind, argument)`` (see :mod:`proofs_check.sweeps`).
Expectation = tuple[str, str, str]


@dataclass(frozen=True)
class SimulationTheorem:
    """A PRAM-simulation theorem (1 or 4) as data: everything in which the two differ lives here, nowhere else.

    Attributes
    ----------
    claim
        The claim; its bounds are read by name (:meth:`~proofs_check.claims.Claim.bound`).
    runner
        Runs one instance in lock step (:func:`reductions.lockstep.run_mdm` or :func:`~reductions.lockstep.run_apmdm`).
    max_n
        Largest n per program in the default sweep.
    growth
        Growth expectations per program (``"*"``: every program without its own entry).
    context_O1_in_T
        The expected answer of "is the context O(1) as T -> oo with S, P fixed" (sympy, one variable).
    arm_comparison
        Whether the check also compares the machine with an ARM writing the same records (Theorem 1).
    """

    claim: Claim
    runner: Callable[..., ReductionRun]
    max_n: Mapping[str, int]
    growth: Mapping[str, tuple[Expectation, ...]]
    context_O1_in_T: bool
    arm_comparison: bool

    @property
    def number(self) -> int:
        return self.claim.theorem


THEOREM1 = SimulationTheorem(
    claim=THM1, runner=run_mdm, max_n=SIZE_CAPS, context_O1_in_T=False, arm_comparison=True,
    growth={"*": (("steps", "same_as", "T"), ("context", "same_as", "PT")),
            **{name: (("steps", "at_most", "log^2 n"), ("steps", "same_as", "T"), ("context", "same_as", "PT"))
               for name in NC_PROGRAMS},
            "iterate": (("steps", "class", "n"), ("context", "class", "n"))})
THEOREM4 = SimulationTheorem(
    claim=THM4, runner=run_apmdm, max_n=SIZE_CAPS, context_O1_in_T=True, arm_comparison=False,
    growth={"*": (("steps", "same_as", "T"), ("context", "same_as", "S")),
            **{name: (("steps", "at_most", "log^2 n"), ("steps", "same_as", "T"), ("context", "same_as", "S"))
               for name in NC_PROGRAMS},
            "iterate": (("steps", "class", "n"), ("context", "class", "1"), ("context", "same_as", "S"))})


def simulation_theorem(theorem: SimulationTheorem | str) -> SimulationTheorem:
    """The theorem object itself, or the one whose claim id is ``theorem`` (``"thm1"``, ``"thm4"``): the one place
    where a theorem's name is turned into its object."""
    if isinstance(theorem, SimulationTheorem):
        return theorem
    found = {t.claim.id: t for t in (THEOREM1, THEOREM4)}
    if theorem not in found:
        raise ClaimError(f"unknown simulation theorem {theorem!r}; known: {', '.join(found)}")
    return found[theorem]


def in_class_of_T(expr: str, values: dict[str, int], big_o: str) -> bool:
    """Is ``expr`` (every variable but T fixed to ``values``) in O(``big_o``) as T -> oo?  (sympy, one variable.)

    Examples
    --------
    >>> in_class_of_T(THM4_STEPS, {"K": 5, "W": 1}, "T"), in_class_of_T(THM1_STEPS, {"S": 4, "P": 2}, "1")
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
    """T, P, S from the PRAM's own counters (time, peak active processors, memory cells); the rest from the machine."""
    pc = run.pram_counters
    return {"T": pc.time, "P": pc.processors, "S": pc.memory,
            "steps": run.machine_counters.steps, "context": run.machine_counters.peak_length,
            "lookups": run.lookups_max}


def _layout_agrees(run: ReductionRun, measured: dict[str, int]) -> list[str]:
    """The construction's layout must be sized by the PRAM's own counters (so the formulas cannot hold vacuously)."""
    out = []
    for key in ("S", "P", "T"):
        if key in run.layout and int(run.layout[key]) != measured[key]:
            out.append(f"layout {key} = {run.layout[key]} but the PRAM's {key} = {measured[key]}")
    return out


#: Error bases that fail one point (not the whole check): the construction's, the machine's and the PRAM's.
POINT_ERRORS = (ReductionError, MachineError, PramError)


def measure(theorem: SimulationTheorem | str, program_name: str, n: int, seed: int, *, policy: str | None = None,
            max_length: int | None = None) -> tuple[CheckPoint, ReductionRun | None]:
    """Run one point of ``theorem`` (:data:`THEOREM1`, :data:`THEOREM4` or their ids) against its claim.

    Any :class:`~reductions.errors.ReductionError`, :class:`~machines.errors.MachineError` or
    :class:`~pram.errors.PramError` fails this point only (``ok`` False, the error in ``note``).

    Examples
    --------
    >>> pt, _ = measure("thm4", "sum", 8, 0)
    >>> pt.ok, pt.measured["steps"] == int(pt.bounds["steps"])
    (True, True)
    """
    thm = simulation_theorem(theorem)
    program = get_program(program_name)
    inst = instance(program, n, seed)
    kwargs: dict[str, Any] = {"policy": policy, "seed": seed}
    if max_length is not None:
        kwargs["max_length"] = max_length
    params: dict[str, int | str] = {"program": program_name, "n": n}
    try:
        run = thm.runner(program, inst, **kwargs)
    except POINT_ERRORS as exc:
        return CheckPoint(params=params, measured={}, bounds={}, ok=False, note=f"{type(exc).__name__}: {exc}"), None
    return judge(thm.claim, program, inst, run, params), run


def judge(claim: Claim, program: Program, inst: Any, run: ReductionRun, params: dict[str, int | str]) -> CheckPoint:
    """Hold one run against ``claim``: T, P, S from the PRAM's counters, the layout sized by them, every bound,
    and the output against the program's independent oracle."""
    consts = {"K": program.num_registers, "W": program.num_writes, "R": program.num_reads}
    measured = _measured(run)
    rendered, ok = claim.check_bounds(measured, {**params, **consts})
    if ", " in rendered.get("context", ""):  # Theorem 1: the exact formula, then the explicit <= bound
        rendered["context"], rendered["context_le"] = rendered["context"].split(", ", 1)
    notes = _layout_agrees(run, measured)
    ok = ok and not notes
    expected = program.oracle(inst)
    if run.output != expected:
        ok = False
        notes.append(f"output {run.output!r} != oracle {expected!r}")
    if run.pram_output != expected:
        ok = False
        notes.append("the PRAM's own output differs from the oracle")
    return CheckPoint(params=params, measured=measured, bounds=rendered, ok=ok, note="; ".join(notes))
