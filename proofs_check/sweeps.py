"""Sweeps over n for the Theorem 1 / Theorem 4 checks, and the growth fits reported with them.

A plan is an ordered tuple of ``(program, n)`` points.  :func:`run_sweep` measures every point
(:func:`proofs_check.thm14.measure`), then, per program, classifies how the measured steps and context grow with
n (:func:`proofs_check.growth.classify_growth`, doubling ratios and least squares; never a log-log slope).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pram.model import Policy
from pram.programs import PROGRAMS, get_program
from proofs_check.claims import CheckPoint, CheckReport
from proofs_check.errors import UsageError
from proofs_check.growth import UNDECIDED, GrowthFit, classify_growth
from proofs_check.thm14 import (
    SIZE_CAPS,
    THEOREM1,
    THEOREM4,
    Expectation,
    SimulationTheorem,
    context_in_O1_of_T,
    in_class_of_T,
    measure,
    simulation_theorem,
)

__all__ = ["default_plan", "plan_for", "quick_plan", "run_sweep", "theorem_report"]

Plan = tuple[tuple[str, int], ...]


def _pow2(lo: int, hi: int) -> list[int]:
    out, n = [], lo
    while n <= hi:
        out.append(n)
        n *= 2
    return out


#: Largest n per program (the one table of :mod:`proofs_check.thm14`, under the names the CLI has used).
THM1_MAX_N: dict[str, int] = SIZE_CAPS
THM4_MAX_N: dict[str, int] = SIZE_CAPS
DEFAULT_MAX_N = 64


def plan_for(max_n: dict[str, int], programs: Sequence[str] | None = None, *, lo: int = 4,
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


def default_plan(theorem: SimulationTheorem | str) -> Plan:
    """The default sweep of ``theorem`` over every registered program (computed at call time)."""
    return plan_for(dict(simulation_theorem(theorem).max_n))


def quick_plan() -> Plan:
    """A small sweep (n <= 16) for tests and the tour."""
    return plan_for(SIZE_CAPS, cap=16)


#: An expectation on a growth fit: ``(quantity, kind, argument)`` with kind ``"at_most"`` (the growth stays within
#: the named class), ``"class"`` (the verdict is the named class) or ``"same_as"`` (both series have the same
#: verdict; the other series: ``"T"``, ``"S"``, ``"PT"`` = P*T).  An undecided verdict (a sweep below the
#: classifier's resolution, :mod:`proofs_check.growth`) leaves the expectation open and fails nothing.
#: Expected growth per claim id and program (``"*"``: every program without its own entry), read off each
#: theorem object (:class:`proofs_check.thm14.SimulationTheorem`).  Part of the verdict: a point set whose decided
#: growth verdict contradicts its expectation fails the check.
GROWTH_EXPECTED: dict[str, dict[str, tuple[Expectation, ...]]] = {
    t.claim.id: dict(t.growth) for t in (THEOREM1, THEOREM4)}


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


def arm_vs_mdm(points: Sequence[CheckPoint], seed: int, program: str = "connectivity",
               confirm_n: int = 2) -> dict[str, Any]:
    """MDM decoding steps vs the steps of an ARM writing the same records (PAPER.md §2, Theorem 1 consequences).

    The ARM (:class:`reductions.pram_to_mdm.ArmRecords`) writes one token per step, so it needs exactly as many
    steps as the MDM writes tokens, ``context - (S + P K)``.  That count is confirmed by actually running the ARM
    (and the MDM) on one small instance (``n = confirm_n``); for the sweep's points it is the exact count.

    The verdict is an explicit inequality at every point, not a fitted class: the MDM takes ``T + 1`` steps while
    the ARM writes ``P (K + 2W)`` tokens for every simulated PRAM step, so ``arm_steps >= P (K + 2W) (mdm_steps -
    1)`` and ``arm_steps > mdm_steps``.  Growth verdicts (MDM steps within ``log^2 n``, ARM steps beyond ``sqrt n``)
    are reported and fail the comparison only when decided and contradicted (:mod:`proofs_check.growth`).
    """
    from machines.paradigms import ARM, MDM
    from proofs_check.thm14 import instance
    from reductions.pram_to_mdm import ArmRecords, build_mdm

    prog = get_program(program)
    con, x0 = build_mdm(prog, instance(prog, confirm_n, seed))
    arm = ArmRecords(con)
    arm_res = ARM(vocab=con.vocab, predictor=arm, max_steps=arm.exact_steps + 1).run(arm.prompt(x0))
    mdm_res = MDM(vocab=con.vocab, predictor=con).run(x0)
    confirm = {"n": confirm_n, "arm_steps": arm_res.counters.steps, "mdm_steps": mdm_res.counters.steps,
               "same_sequence": bool((arm_res.final == mdm_res.final).all())}
    ok = arm_res.counters.steps == arm.exact_steps and confirm["same_sequence"]
    failed = [] if ok else [f"ARM run at n = {confirm_n} does not confirm the token count"]
    per_step = prog.num_registers + 2 * prog.num_writes
    rows = []
    for p in points:
        if p.params.get("program") != program or not p.ok or not p.measured:
            continue
        m = p.measured
        arm_steps = m["context"] - m["S"] - m["P"] * prog.num_registers
        lower = m["P"] * per_step * (m["steps"] - 1)
        row_ok = m["steps"] == m["T"] + 1 and arm_steps >= lower and arm_steps > m["steps"]
        rows.append({"n": int(p.params["n"]), "mdm_steps": m["steps"], "arm_steps": arm_steps,
                     "arm_lower": lower, "ok": row_ok})
        if not row_ok:
            failed.append(f"n = {p.params['n']}: ARM steps {arm_steps} vs MDM steps {m['steps']} "
                          f"(need >= P(K+2W)(MDM steps - 1) = {lower})")
    ok = ok and not failed
    out: dict[str, Any] = {"program": program, "rows": rows, "confirmed_by_running": confirm,
                           "inequality": "arm_steps >= P*(K + 2*W)*(mdm_steps - 1) and arm_steps > mdm_steps"}
    if len(rows) >= 3:
        ns = [r["n"] for r in rows]
        mdm_fit = classify_growth(ns, [r["mdm_steps"] for r in rows])
        arm_fit = classify_growth(ns, [r["arm_steps"] for r in rows])
        out["mdm_class"], out["arm_class"] = mdm_fit.verdict, arm_fit.verdict
        if mdm_fit.grows_at_most("log^2 n") is False:
            failed.append(f"MDM steps grow like {mdm_fit.verdict}, beyond log^2 n")
        if arm_fit.grows_at_most("sqrt n") is True:
            failed.append(f"ARM steps grow like {arm_fit.verdict}, within sqrt n")
        ok = ok and not failed
    out["ok"] = ok
    if failed:
        out["failed"] = failed
    return out


def run_sweep(theorem: SimulationTheorem | str, plan: Plan, seed: int, *,
              advance: Callable[[int], None] | None = None, policy: str | None = None,
              expected: dict[str, dict[str, tuple[Expectation, ...]]] | None = None) -> CheckReport:
    """Measure every point of ``plan`` for ``theorem`` (:data:`~proofs_check.thm14.THEOREM1` / ``THEOREM4``, or
    their ids) and collect a report.  ``expected`` replaces the theorem's growth expectations (keyed by claim id).

    The report is ok iff every point holds, steps are O(T) and the context's dependence on T is as claimed (sympy,
    one variable), and every growth expectation (:data:`GROWTH_EXPECTED`, or ``expected``) holds for every program
    measured at >= 3 sizes.

    Examples
    --------
    >>> r = run_sweep("thm1", (("sum", 4), ("sum", 8)), 0)
    >>> r.ok, [p.measured["steps"] - p.measured["T"] for p in r.points]
    (True, [1, 1])
    """
    return _run_sweep(simulation_theorem(theorem), plan, seed, advance=advance, policy=policy, expected=expected)


def _run_sweep(thm: SimulationTheorem, plan: Plan, seed: int, *, advance: Callable[[int], None] | None,
               policy: str | None, expected: dict[str, dict[str, tuple[Expectation, ...]]] | None) -> CheckReport:
    claim = thm.claim
    context_eq, steps_eq = claim.bound("context", "eq").expr, claim.bound("steps", "eq").expr
    points: list[CheckPoint] = []
    o1: dict[str, bool] = {}
    steps_OT: dict[str, bool] = {}
    for name, n in plan:
        pt, run = measure(thm, name, n, seed, policy=policy)
        points.append(pt)
        if run is not None and name not in o1:
            vals = {"S": run.pram_counters.memory, "P": run.pram_counters.processors}
            prog = get_program(name)
            vals.update(K=prog.num_registers, W=prog.num_writes)
            o1[name] = context_in_O1_of_T(context_eq, vals)
            steps_OT[name] = in_class_of_T(steps_eq, vals, "T")
        if advance is not None:
            advance(1)
    ok = all(p.ok for p in points)
    # Theorem 4's context must not depend on T; Theorem 1's must (that is the contrast of PAPER.md §2).
    want_o1 = thm.context_O1_in_T
    o1_ok = all(v == want_o1 for v in o1.values())
    ot_ok = all(steps_OT.values())
    table = thm.growth if expected is None else expected.get(claim.id, {})
    growth, growth_ok = _fits(points, table)
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


def theorem_report(thm: SimulationTheorem, seed: int, *, quick: bool = False,
                   programs: Sequence[str] | None = None, max_n: int | None = None, policy: str | None = None,
                   advance: Callable[[int], None] | None = None) -> CheckReport:
    """The whole check of a simulation theorem: the sweep (quick: n <= 16), and for Theorem 1 the ARM comparison.

    Unknown programs or a policy too weak for one of them raise :class:`~proofs_check.errors.UsageError` (or the
    PRAM's :class:`~pram.errors.InvalidInput` for an unknown policy name) before anything runs.
    """
    names = sorted(PROGRAMS) if programs is None else list(programs)
    unknown = [s for s in names if s not in PROGRAMS]
    if unknown or not names:
        raise UsageError(f"unknown programs {unknown}; known: {', '.join(sorted(PROGRAMS))}")
    _refuse_weak_policy(names, policy)
    plan = plan_for(dict(thm.max_n), names, cap=16 if quick else max_n)
    report = _run_sweep(thm, plan, seed, advance=advance, policy=policy, expected=None)
    if thm.arm_comparison and "connectivity" in names:
        demo = arm_vs_mdm(report.points, seed)
        report = CheckReport(claim=report.claim, points=report.points, ok=report.ok and demo["ok"],
                             extra={**report.extra, "arm_vs_mdm": demo},
                             failed=report.failed + tuple(f"ARM vs MDM: {f}" for f in demo.get("failed", ())))
    return report
