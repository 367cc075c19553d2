"""The PRAM-simulation theorems (1 and 4) as data, one point of either measured against its claim, and the sweep.

A :class:`SimulationTheorem` carries everything in which Theorems 1 and 4 differ (claim, runner, growth
expectations, expected context class); the theorems themselves live with their claims in
:mod:`proofs_check.claims.thm1` and :mod:`proofs_check.claims.thm4`.

One point (:func:`measure`) runs the construction on one random instance in lock step with the PRAM
(:mod:`reductions.lockstep`), compares the output with the program's independent oracle, and holds the measured
counters against the claim's exact formulas and bounds (:mod:`proofs_check.bounds`).  A sweep
(:func:`sweep_report`) measures an ordered plan of ``(program, n)`` points, then, per program, classifies how the
measured steps and context grow with n (:func:`proofs_check.growth.classify_growth`, doubling ratios and least
squares; never a log-log slope).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from machines.errors import MachineError
from pram.errors import PramError
from pram.machine import Program
from pram.model import Policy
from pram.programs import PROGRAMS, get_program
from pram.rng import as_generator
from proofs_check.bounds import Bound
from proofs_check.claims import CheckPoint, CheckReport, Claim
from proofs_check.errors import UsageError
from proofs_check.growth import UNDECIDED, GrowthFit, classify_growth
from proofs_check.parallel import map_items
from reductions.errors import ReductionError
from reductions.lockstep import ReductionRun

__all__ = ["NC_PROGRAMS", "POINT_ERRORS", "SIZE_CAPS", "Expectation", "Plan", "SimulationTheorem", "default_plan",
           "instance", "judge", "measure", "plan_for", "quick_plan", "run_sweep", "sweep_report"]

#: Largest n per program in the sweeps of both theorems (powers of two from 4); one table for Theorems 1 and 4.
SIZE_CAPS: dict[str, int] = {"connectivity": 1024, "prefix-sums": 512, "parity": 512, "sum": 512,
                             "list-ranking": 256, "dyck": 256, "sort": 64, "sat": 8, "iterate": 256}
#: Programs of the library in NC (polylog T): their MDM / AP-MDM steps must grow at most like log^2 n.
NC_PROGRAMS = ("connectivity", "dyck", "list-ranking", "parity", "prefix-sums", "sort", "sum")
DEFAULT_MAX_N = 64

#: An expectation on a growth fit: ``(quantity, kind, argument)`` with kind ``"at_most"`` (the growth stays within
#: the named class), ``"class"`` (the verdict is the named class) or ``"same_as"`` (both series have the same
#: verdict; the other series: ``"T"``, ``"S"``, ``"PT"`` = P*T).  An undecided verdict (a sweep below the
#: classifier's resolution, :mod:`proofs_check.growth`) leaves the expectation open and fails nothing.
Expectation = tuple[str, str, str]
Plan = tuple[tuple[str, int], ...]


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
        Growth expectations per program (``"*"``: every program without its own entry).  Part of the verdict: a
        decided growth verdict that contradicts its expectation fails the check; an undecided one fails nothing.
    context_O1_in_T
        The expected answer of "is the context O(1) as T -> oo with S, P fixed" (sympy, one variable).
    """

    claim: Claim
    runner: Callable[..., ReductionRun]
    max_n: Mapping[str, int]
    growth: Mapping[str, tuple[Expectation, ...]]
    context_O1_in_T: bool

    @property
    def number(self) -> int:
        return self.claim.theorem

    @property
    def steps_exact(self) -> Bound:
        """The exact steps formula (the claim's ``steps`` bound of kind ``eq``)."""
        return self.claim.bound("steps", "eq")

    @property
    def context_exact(self) -> Bound:
        """The exact context formula (the claim's ``context`` bound of kind ``eq``)."""
        return self.claim.bound("context", "eq")


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


def measure(thm: SimulationTheorem, program_name: str, n: int, seed: int, *, policy: str | None = None,
            max_length: int | None = None) -> tuple[CheckPoint, ReductionRun | None]:
    """Run one point of ``thm`` against its claim.

    Any :class:`~reductions.errors.ReductionError`, :class:`~machines.errors.MachineError` or
    :class:`~pram.errors.PramError` fails this point only (``ok`` False, the error in ``note``).

    Examples
    --------
    >>> from proofs_check.claims.thm4 import THEOREM4
    >>> pt, _ = measure(THEOREM4, "sum", 8, 0)
    >>> pt.ok, pt.measured["steps"] == int(pt.bounds["steps"])
    (True, True)
    """
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


# ----------------------------------------------------------------------------------------------------- the sweep

def _pow2(lo: int, hi: int) -> list[int]:
    out, n = [], lo
    while n <= hi:
        out.append(n)
        n *= 2
    return out


def plan_for(max_n: Mapping[str, int], programs: Sequence[str] | None = None, *, lo: int = 4,
             cap: int | None = None) -> Plan:
    """Points ``(program, n)`` for n = lo, 2 lo, ... up to the program's max (or ``cap`` if smaller)."""
    names = list(programs) if programs is not None else sorted(PROGRAMS)
    out: list[tuple[str, int]] = []
    for name in names:
        hi = max_n.get(name, DEFAULT_MAX_N)
        if cap is not None:
            hi = min(hi, cap)
        out.extend((name, n) for n in _pow2(lo, hi))
    return tuple(out)


def default_plan(thm: SimulationTheorem) -> Plan:
    """The default sweep of ``thm`` over every registered program (computed at call time)."""
    return plan_for(thm.max_n)


def quick_plan() -> Plan:
    """A small sweep (n <= 16) for tests and the tour."""
    return plan_for(SIZE_CAPS, cap=16)


def _expect(fits: dict[str, GrowthFit], quantity: str, kind: str, arg: str) -> bool | None:
    """Does the expectation hold?  ``None`` when the sweep cannot tell (a verdict is undecided): that alone never
    fails a check -- the exact formulas checked at every point carry the claim (STYLE.md point 19)."""
    fit = fits.get(quantity)
    if fit is None:
        return None
    if kind == "at_most":
        return fit.grows_at_most(arg)
    if kind == "class":
        return fit.is_class(arg)
    other = fits.get(arg)
    if other is None or not (fit.decided and other.decided):
        return None
    return fit.verdict == other.verdict


def _fits(points: Sequence[CheckPoint], table: Mapping[str, tuple[Expectation, ...]]) -> tuple[dict[str, Any], bool]:
    """Per program: growth verdict of T, steps and context in n (reported with >= 3 sizes, all ok), and whether no
    expectation of ``table`` (per program, ``"*"`` for the rest) is contradicted by a decided verdict."""
    by_prog: dict[str, list[CheckPoint]] = {}
    for p in points:
        by_prog.setdefault(str(p.params["program"]), []).append(p)
    out: dict[str, Any] = {}
    all_ok = True
    for name, pts in by_prog.items():
        good = [p for p in pts if p.ok and p.measured]
        if len(good) < 3:
            continue
        ns = [int(p.params["n"]) for p in good]
        entry: dict[str, Any] = {"n": ns}
        fits: dict[str, GrowthFit] = {}
        series = {q: [p.measured[q] for p in good] for q in ("T", "S", "steps", "context")}
        series["PT"] = [p.measured["P"] * p.measured["T"] for p in good]
        for q, vals in series.items():
            if min(vals) <= 0:
                continue
            fits[q] = classify_growth(ns, vals)
            if q in ("T", "steps", "context"):
                entry[q] = {"best": fits[q].verdict, "ratios": [round(r, 3) for r in fits[q].ratios]}
        checks = []
        for quantity, kind, arg in table.get(name, table.get("*", ())):
            verdict = _expect(fits, quantity, kind, arg)
            got = fits[quantity].verdict if quantity in fits else UNDECIDED
            other = f" ({fits[arg].verdict})" if kind == "same_as" and arg in fits else ""
            checks.append({"quantity": quantity, "expect": f"{kind} {arg}{other}", "got": got,
                           "ok": verdict is not False})
            all_ok = all_ok and verdict is not False
        entry["expected"] = checks
        entry["ok"] = all(c["ok"] for c in checks)
        out[name] = entry
    return out, all_ok


def _T_dependence(steps: Bound, context: Bound, vals: Mapping[str, int]) -> tuple[bool, bool]:
    """(steps in O(T), context in O(1) in T) with S, P, K, W fixed to one run's values (sympy, one variable)."""
    return steps.in_class_of(dict(vals), "T", "T"), context.in_class_of(dict(vals), "T", "1")


def _fixed_values(run: ReductionRun, program: Program) -> dict[str, int]:
    """The S, P, K, W of one run, fixed while T goes to infinity in :func:`_T_dependence`."""
    return {"S": run.pram_counters.memory, "P": run.pram_counters.processors, "K": program.num_registers,
            "W": program.num_writes}


def _sweep_point(item: tuple[str, int], *, thm: SimulationTheorem, seed: int,
                 policy: str | None) -> tuple[CheckPoint, dict[str, int] | None]:
    """One point of a sweep and the values :func:`_T_dependence` needs (``None`` when the run failed): small and
    picklable, so a point can be measured in another process (``--workers``) without shipping its run back."""
    name, n = item
    pt, run = measure(thm, name, n, seed, policy=policy)
    return pt, None if run is None else _fixed_values(run, get_program(name))


def run_sweep(thm: SimulationTheorem, plan: Plan, seed: int, *, advance: Callable[[int], None] | None = None,
              policy: str | None = None,
              expected: Mapping[str, Mapping[str, tuple[Expectation, ...]]] | None = None,
              workers: int = 1) -> CheckReport:
    """Measure every point of ``plan`` for ``thm`` and collect a report.  ``expected`` replaces the theorem's growth
    expectations (keyed by claim id); ``workers`` processes measure the points (:mod:`proofs_check.parallel`: every
    point is seeded by ``(program, n, seed)`` alone, so the report is the same for any number).

    The report is ok iff every point holds, steps are O(T) and the context's dependence on T is as claimed (sympy,
    one variable), and every growth expectation (``thm.growth``, or ``expected``) that the classifier decides holds
    for every program measured at >= 3 sizes.

    Examples
    --------
    >>> from proofs_check.claims.thm1 import THEOREM1
    >>> r = run_sweep(THEOREM1, (("sum", 4), ("sum", 8)), 0)
    >>> r.ok, [p.measured["steps"] - p.measured["T"] for p in r.points]
    (True, [1, 1])
    """
    claim, steps_eq, context_eq = thm.claim, thm.steps_exact, thm.context_exact
    points: list[CheckPoint] = []
    o1: dict[str, bool] = {}
    steps_OT: dict[str, bool] = {}
    one = partial(_sweep_point, thm=thm, seed=seed, policy=policy)
    for (name, _), (pt, vals) in zip(plan, map_items(one, plan, workers, cost=lambda item: item[1]), strict=True):
        points.append(pt)
        if vals is not None and name not in o1:
            steps_OT[name], o1[name] = _T_dependence(steps_eq, context_eq, vals)
        if advance is not None:
            advance(1)
    ok = all(p.ok for p in points)
    # Theorem 4's context must not depend on T; Theorem 1's must (that is the contrast of the paper's §2).
    want_o1 = thm.context_O1_in_T
    o1_ok = all(v == want_o1 for v in o1.values())
    ot_ok = all(steps_OT.values())
    growth, growth_ok = _fits(points, thm.growth if expected is None else expected.get(claim.id, {}))
    extra = {"claim_statement": claim.statement_checked, "growth": growth, "growth_ok": growth_ok,
             "steps_O_T": steps_OT, "steps_O_T_ok": ot_ok, "context_O1_in_T": o1, "context_O1_in_T_ok": o1_ok,
             "seed": seed}
    failed = [f"growth in n of {name}: {c['quantity']} expected {c['expect']}, got {c['got']}"
              for name, entry in growth.items() for c in entry["expected"] if not c["ok"]]
    failed += [f"steps of {name} not in O(T) (sympy)" for name, v in steps_OT.items() if not v]
    failed += [f"context of {name} {'not ' if want_o1 else ''}O(1) in T (sympy)" for name, v in o1.items()
               if v != want_o1]
    return CheckReport(claim=claim.id, points=tuple(points), ok=ok and o1_ok and ot_ok and growth_ok, extra=extra,
                       failed=tuple(failed))


def _refuse_weak_policy(names: Sequence[str], policy: str | None) -> None:
    """A policy some program cannot run under is bad input (refused before any work), not a row of failures."""
    if policy is None:
        return
    pol = Policy.parse(policy)  # an unknown name: InvalidInput naming the known policies
    weak = [s for s in names if not pol.at_least(get_program(s).min_policy)]
    if weak:
        need = ", ".join(f"{s} needs {get_program(s).min_policy.value}" for s in weak)
        raise UsageError(f"--policy {pol.value} is too weak for {need} (choose --programs or a stronger policy)")


def sweep_report(thm: SimulationTheorem, seed: int, *, quick: bool = False, programs: Sequence[str] | None = None,
                 max_n: int | None = None, policy: str | None = None,
                 advance: Callable[[int], None] | None = None, workers: int = 1) -> CheckReport:
    """The sweep of a simulation theorem over the library (quick: n <= 16) on ``workers`` processes.

    Unknown programs or a policy too weak for one of them raise :class:`~proofs_check.errors.UsageError` (or the
    PRAM's :class:`~pram.errors.InvalidInput` for an unknown policy name) before anything runs.
    """
    names = sorted(PROGRAMS) if programs is None else list(programs)
    unknown = [s for s in names if s not in PROGRAMS]
    if unknown or not names:
        raise UsageError(f"unknown programs {unknown}; known: {', '.join(sorted(PROGRAMS))}")
    _refuse_weak_policy(names, policy)
    plan = plan_for(thm.max_n, names, cap=16 if quick else max_n)
    return run_sweep(thm, plan, seed, advance=advance, policy=policy, workers=workers)
