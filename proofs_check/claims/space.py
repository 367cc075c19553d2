"""The contrast of Theorems 1 and 4: MDM context grows with T, AP-MDM context stays O(S) (the paper's §2): the
claim and its report.

On long-running, small-memory programs -- brute-force SAT (T = 2^v + 2, S and P polynomial) and ``iterate``
(T = N, S = 5, P = 1) -- both constructions are run side by side.  The MDM is run (lock step) while its context is
at most ``mdm_run_cap`` tokens; beyond that its context is the exact layout length of :func:`build_mdm` (the
formula the runs confirm), reported as "formula".  The AP-MDM is always run.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pram.programs import get_program
from proofs_check.bounds import Bound
from proofs_check.claims import CheckPoint, CheckReport, Claim, register_claim
from proofs_check.claims.thm1 import THM1_CONTEXT
from proofs_check.claims.thm4 import THM4_CONTEXT
from proofs_check.growth import GrowthFit, classify_growth
from proofs_check.parallel import map_items
from proofs_check.simulation import instance
from reductions.lockstep import run_apmdm, run_mdm
from reductions.pram_to_mdm import build_mdm

__all__ = ["DEFAULT_SPACE_PLAN", "SPACE", "report", "run_space"]

SPACE = register_claim(Claim(
    id="space", theorem=4,
    statement_paper="AP-MDM uses context proportional to the actual space S(n) rather than the total computational "
                    "work, while MDM's context must grow with P(n) T(n) (Theorems 1 and 4; with polynomial context "
                    "AP-MDM reaches PSPACE).  [PAPER.md §2, S:mtp, papernotes]",
    statement_checked="On brute-force SAT and on iterate, the MDM context equals 2S + PK + T P (K + 2W) (grows with T) "
                      "and the AP-MDM context equals S + 3 + P (2 + 2K + 2W) <= (3 + 2K + 2W) S + 3 when P <= S "
                      "(independent of T); on iterate the AP-MDM context is constant in T while the MDM's is linear "
                      "in T; on SAT the MDM's grows like 2^v and the AP-MDM's polynomially in v.",
    quantities=("mdm_context", "apmdm_context"),
    bounds=(Bound("mdm_context", THM1_CONTEXT, ("S", "P", "K", "W", "T"), kind="eq"),
            Bound("apmdm_context", THM4_CONTEXT, ("S", "P", "K", "W"), kind="eq"),
            Bound("apmdm_context", "(3 + 2*K + 2*W)*S + 3", ("S", "K", "W"))),
    reconstruction="Both constructions are the project's reconstructions (docs/theorem1.md, docs/theorem4.md)."))

#: (program, sizes) of the default sweep: n = number of variables for SAT, number of iterations for iterate.
DEFAULT_SPACE_PLAN: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("sat", (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
    ("iterate", (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)),
)
MDM_RUN_CAP = 200_000


def _point_item(item: tuple[str, int], *, seed: int, mdm_run_cap: int) -> tuple[CheckPoint, dict[str, Any]]:
    """:func:`_point` of one ``(program, n)`` item (the unit of work on ``--workers`` processes)."""
    return _point(item[0], item[1], seed, mdm_run_cap)


def _point(name: str, n: int, seed: int, mdm_run_cap: int) -> tuple[CheckPoint, dict[str, Any]]:
    prog = get_program(name)
    inst = instance(prog, n, seed)
    ap = run_apmdm(prog, inst, seed=seed)
    con, _ = build_mdm(prog, inst, max_length=1 << 62)  # the layout only: checks nothing is allocated beyond x0
    ran = con.layout.length <= mdm_run_cap
    notes = []
    ok = ap.output == prog.oracle(inst)
    mdm_steps = con.layout.T + 1
    if ran:
        md = run_mdm(prog, inst, seed=seed)
        ok = ok and md.output == prog.oracle(inst) and md.machine_counters.peak_length == con.layout.length
        mdm_steps = md.machine_counters.steps
    else:
        notes.append("MDM context from the exact layout (not run)")
    lay = ap.layout
    measured = {"T": ap.pram_counters.time, "S": int(lay["S"]), "P": int(lay["P"]), "mdm_context": con.layout.length,
                "apmdm_context": ap.machine_counters.peak_length, "mdm_steps": mdm_steps,
                "apmdm_steps": ap.machine_counters.steps}
    params: dict[str, int | str] = {"program": name, "n": n}
    K, W = prog.num_registers, prog.num_writes
    md_eq, ap_eq, ap_le = SPACE.bounds
    # the MDM formula counts the program's processor rows; the AP-MDM one the processors live at the start
    md_vals = {"S": con.layout.S, "P": con.layout.P, "K": K, "W": W, "T": con.layout.T}
    ap_vals = {"S": measured["S"], "P": measured["P"], "K": K, "W": W}
    ok = (ok and md_eq.holds(measured["mdm_context"], **md_vals) and ap_eq.holds(measured["apmdm_context"], **ap_vals)
          and ap_le.holds(measured["apmdm_context"], S=measured["S"], K=K, W=W))
    rendered = {"mdm_context": md_eq.render(**md_vals), "apmdm_context": ap_eq.render(**ap_vals),
                "apmdm_O(S)": ap_le.render(S=measured["S"], K=K, W=W)}
    extra = {"mdm_run": ran, "ratio": round(measured["mdm_context"] / measured["apmdm_context"], 2)}
    return CheckPoint(params=params, measured=measured, bounds=rendered, ok=ok, note="; ".join(notes)), extra


def _space_growth_ok(name: str, md: GrowthFit, ap: GrowthFit, md_T: GrowthFit, ap_T: GrowthFit) -> bool:
    """The growth expected of one program (computed per program: one program's verdict never carries over).

    Only a decided verdict that contradicts the expectation fails (an undecided one leaves it open: the exact
    context formulas are checked at every point)."""
    if name == "iterate":
        return ap_T.is_class("1") is not False and md_T.is_class("n") is not False
    if name == "sat":
        return (md.is_class("2^n") is not False and ap.grows_at_most("n^2") is not False
                and ap_T.grows_at_most("log^2 n") is not False)
    return True  # no growth expectation for other programs: the exact formulas are checked per point


def run_space(plan: tuple[tuple[str, tuple[int, ...]], ...] = DEFAULT_SPACE_PLAN, seed: int = 0, *,
              advance: Callable[[int], None] | None = None, mdm_run_cap: int = MDM_RUN_CAP,
              workers: int = 1) -> CheckReport:
    """Run the side-by-side contrast; growth classes are part of the verdict.  The points are measured on
    ``workers`` processes (each seeded by its program, n and ``seed`` alone: the same report for any number).

    Examples
    --------
    >>> r = run_space((("iterate", (4, 8, 16, 32)),), 0)
    >>> r.ok, [p.measured["apmdm_context"] for p in r.points]
    (True, [22, 22, 22, 22])
    """
    points: list[CheckPoint] = []
    extras: list[dict[str, Any]] = []
    items = [(name, n) for name, sizes in plan for n in sizes]
    one = partial(_point_item, seed=seed, mdm_run_cap=mdm_run_cap)
    for pt, ex in map_items(one, items, workers, cost=lambda item: item[1]):
        points.append(pt)
        extras.append(ex)
        if advance is not None:
            advance(1)
    growth: dict[str, Any] = {}
    growth_ok = True
    failed: list[str] = []
    for name, _ in plan:
        pts = [p for p in points if p.params["program"] == name]
        if len(pts) < 3:
            continue
        ns = [int(p.params["n"]) for p in pts]
        Ts = [p.measured["T"] for p in pts]
        md = classify_growth(ns, [p.measured["mdm_context"] for p in pts])
        ap = classify_growth(ns, [p.measured["apmdm_context"] for p in pts])
        md_T = classify_growth(Ts, [p.measured["mdm_context"] for p in pts])
        ap_T = classify_growth(Ts, [p.measured["apmdm_context"] for p in pts])
        growth[name] = {"mdm_in_n": md.verdict, "apmdm_in_n": ap.verdict, "mdm_in_T": md_T.verdict,
                        "apmdm_in_T": ap_T.verdict}
        prog_ok = _space_growth_ok(name, md, ap, md_T, ap_T)
        growth[name]["ok"] = prog_ok
        growth_ok = growth_ok and prog_ok
        if not prog_ok:
            failed.append(f"growth of {name}: {growth[name]}")
    table_extra = [{"program": p.params["program"], "n": p.params["n"], **e} for p, e in zip(points, extras,
                                                                                          strict=True)]
    ok = all(p.ok for p in points) and growth_ok
    return CheckReport(claim=SPACE.id, points=tuple(points), ok=ok,
                       extra={"growth": growth, "mdm_run": table_extra, "seed": seed,
                              "claim_statement": SPACE.statement_checked}, failed=tuple(failed))


def report(seed: int = 0, quick: bool = False, *, advance: Callable[[int], None] | None = None,
           workers: int = 1) -> CheckReport:
    """The whole check: :func:`run_space` over :data:`DEFAULT_SPACE_PLAN` (quick: the first five sizes of each
    program)."""
    return run_space(quick_plan() if quick else DEFAULT_SPACE_PLAN, seed, advance=advance, workers=workers)


def quick_plan() -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The first five sizes of each program of :data:`DEFAULT_SPACE_PLAN`."""
    return tuple((name, sizes[:5]) for name, sizes in DEFAULT_SPACE_PLAN)
