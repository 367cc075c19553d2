"""Theorem 1 (PRAM -> MDM): the claim, the theorem object and its report.

The sweep over the library's programs is :func:`proofs_check.simulation.sweep_report`; what is Theorem 1's alone
is the comparison with an ARM writing the same records (:func:`arm_vs_mdm`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pram.programs import get_program
from proofs_check.bounds import Bound
from proofs_check.claims import CheckPoint, CheckReport, Claim, register_claim
from proofs_check.growth import classify_growth
from proofs_check.simulation import NC_PROGRAMS, SIZE_CAPS, SimulationTheorem, instance, sweep_report
from reductions.lockstep import run_mdm

__all__ = ["THEOREM1", "THM1", "THM1_CONTEXT", "THM1_STEPS", "arm_vs_mdm", "report"]

#: MDM steps: T + 1 when the start sequence has a mask (S > 0 or P T > 0), else 0 (the empty instance, S = 0).
THM1_STEPS = "Min(S + P*T, 1)*(T + 1)"
THM1_CONTEXT = "2*S + P*K + T*P*(K + 2*W)"
#: The explicit-constant bound in PRAM terms: context <= c P T + 2 S + d with c = 2(K + W) (a constant of the
#: program) and d = 0 (P K <= K P T because a processor live at the start makes T >= 1).
THM1_CONTEXT_LE = "2*(K + W)*P*T + 2*S"
LOOKUPS = "2 + R"

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

THEOREM1 = SimulationTheorem(
    claim=THM1, runner=run_mdm, max_n=SIZE_CAPS, context_O1_in_T=False,
    growth={"*": (("steps", "same_as", "T"), ("context", "same_as", "PT")),
            **{name: (("steps", "at_most", "log^2 n"), ("steps", "same_as", "T"), ("context", "same_as", "PT"))
               for name in NC_PROGRAMS},
            "iterate": (("steps", "class", "n"), ("context", "class", "n"))})


def arm_vs_mdm(points: Sequence[CheckPoint], seed: int, program: str = "connectivity",
               confirm_n: int = 2) -> dict[str, Any]:
    """MDM decoding steps vs the steps of an ARM writing the same records (the paper's §2, Theorem 1 consequences).

    The ARM (:class:`reductions.pram_to_mdm.ArmRecords`) writes one token per step, so it needs exactly as many
    steps as the MDM writes tokens, ``context - (S + P K)``.  That count is confirmed by actually running the ARM
    (and the MDM) on one small instance (``n = confirm_n``); for the sweep's points it is the exact count.

    The verdict is an explicit inequality at every point, not a fitted class: the MDM takes ``T + 1`` steps while
    the ARM writes ``P (K + 2W)`` tokens for every simulated PRAM step, so ``arm_steps >= P (K + 2W) (mdm_steps -
    1)`` and ``arm_steps > mdm_steps``.  Growth verdicts (MDM steps within ``log^2 n``, ARM steps beyond ``sqrt n``)
    are reported and fail the comparison only when decided and contradicted (:mod:`proofs_check.growth`).
    """
    from machines.paradigms import ARM, MDM
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


def report(seed: int = 0, quick: bool = False, *, programs: Sequence[str] | None = None, max_n: int | None = None,
           policy: str | None = None, advance: Callable[[int], None] | None = None, workers: int = 1) -> CheckReport:
    """The whole check of Theorem 1: the sweep (quick: n <= 16), then the ARM comparison on connectivity.
    """
    sweep = sweep_report(THEOREM1, seed, quick=quick, programs=programs, max_n=max_n, policy=policy,
                         advance=advance, workers=workers)
    if programs is not None and "connectivity" not in programs:
        return sweep
    demo = arm_vs_mdm(sweep.points, seed)
    return CheckReport(claim=sweep.claim, points=sweep.points, ok=sweep.ok and demo["ok"],
                       extra={**sweep.extra, "arm_vs_mdm": demo},
                       failed=sweep.failed + tuple(f"ARM vs MDM: {f}" for f in demo.get("failed", ())))
