"""``powergen check thm1`` and the simulation sweep it shares with Theorem 4: points, bound binding, growth verdicts."""

from __future__ import annotations

import json

from proofs_check.cli import main


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err



def test_check_thm1_quick_json(capsys):
    code, d, _ = _json(capsys, ["check", "thm1", "--programs", "sum,connectivity", "--max-n", "8", "--json"])
    assert code == 0 and d["schema"] == "powergen.check/1" and d["claim"] == "thm1" and d["ok"] is True
    assert {p["params"]["program"] for p in d["points"]} == {"sum", "connectivity"}
    p = d["points"][0]
    assert p["measured"]["steps"] == p["measured"]["T"] + 1 == int(p["bounds"]["steps"])
    confirm = d["arm_vs_mdm"]["confirmed_by_running"]
    assert confirm["same_sequence"] and confirm["arm_steps"] > 10 * confirm["mdm_steps"]



def test_one_bad_point_fails_that_point_not_the_check(monkeypatch):
    from pram.errors import StepLimitExceeded
    from proofs_check.claims.thm1 import THEOREM1
    from proofs_check.claims.thm4 import THEOREM4
    from proofs_check.simulation import measure, run_sweep

    pt, run = measure(THEOREM1, "sum", 8, 0, max_length=10)  # InstanceTooLarge, a ReductionError
    assert not pt.ok and run is None and "InstanceTooLarge" in pt.note
    real = THEOREM4.runner

    def flaky(program, inst, **kw):
        if program.size(inst) == 8:
            raise StepLimitExceeded(limit=3)  # a PramError
        return real(program, inst, **kw)

    import dataclasses

    report = run_sweep(dataclasses.replace(THEOREM4, runner=flaky), (("sum", 4), ("sum", 8), ("sum", 16)), 0)
    assert [p.ok for p in report.points] == [True, False, True] and not report.ok
    assert "StepLimitExceeded" in report.points[1].note



def test_thm1_context_check_binds_the_pram_counters():
    import dataclasses

    from pram.programs import get_program
    from proofs_check.claims.thm1 import THM1
    from proofs_check.simulation import instance, judge
    from reductions.lockstep import run_mdm

    prog = get_program("prefix-sums")
    inst = instance(prog, 8, 0)
    run = run_mdm(prog, inst)
    params = {"program": "prefix-sums", "n": 8}
    assert judge(THM1, prog, inst, run, params).ok
    # a layout with one more processor row, internally consistent (context = its own layout formula): the old check
    # compared the layout with itself and passed; bound to the PRAM's P it must fail
    lay = dict(run.layout, P=run.layout["P"] + 1)
    K, W, S, T = prog.num_registers, prog.num_writes, lay["S"], lay["T"]
    inflated = 2 * S + lay["P"] * K + T * lay["P"] * (K + 2 * W)
    fake = dataclasses.replace(run, layout=lay,
                               machine_counters=dataclasses.replace(run.machine_counters, peak_length=inflated))
    pt = judge(THM1, prog, inst, fake, params)
    assert not pt.ok and "layout P" in pt.note
    # the explicit-constant bound context <= 2(K + W) P T + 2 S, in PRAM terms, is checked too
    pc = run.pram_counters
    assert pt.bounds["context_le"] == str(2 * (K + W) * pc.processors * pc.time + 2 * pc.memory)



def test_growth_expectations_are_part_of_the_verdict():
    from proofs_check.claims.thm1 import THEOREM1
    from proofs_check.claims.thm4 import THEOREM4
    from proofs_check.simulation import run_sweep

    # five sizes spanning 16x: within the classifier's resolution (proofs_check.growth), so verdicts are decided
    plan = (("iterate", 4), ("iterate", 8), ("iterate", 16), ("iterate", 32), ("iterate", 64))
    good = run_sweep(THEOREM4, plan, 0)
    assert good.ok and good.extra["growth_ok"] and good.extra["growth"]["iterate"]["ok"]
    wrong = {"thm4": {"iterate": (("context", "class", "n"),)}}  # deliberately wrong: AP-MDM context is O(1) here
    bad = run_sweep(THEOREM4, plan, 0, expected=wrong)
    assert all(p.ok for p in bad.points) and not bad.extra["growth_ok"] and not bad.ok
    assert bad.extra["growth"]["iterate"]["expected"] == [
        {"quantity": "context", "expect": "class n", "got": "1", "ok": False}]
    assert "growth in n of iterate: context expected class n, got 1" in bad.failing_claims()[0]
    too_slow = {"thm1": {"sum": (("steps", "at_most", "1"),)}}
    assert not run_sweep(THEOREM1, tuple(("sum", n) for n in (4, 8, 16, 32, 64)), 0, expected=too_slow).ok
    # three sizes are below the resolution: the same wrong expectation is left open, not failed (and not passed
    # as a class: the verdict says "undecided")
    short = run_sweep(THEOREM4, plan[:3], 0, expected=wrong)
    assert short.ok and short.extra["growth"]["iterate"]["expected"][0]["got"] == "undecided"

