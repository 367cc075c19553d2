"""Tour section: Theorem 5 -- an AP-MDM that generates exactly two-sided Dyck-k; ARMs with bounded windows fail.

The rows are points of ``powergen check thm5`` at tour sizes: the Dyck side measures them in one call
(:func:`reductions.dyck_evidence.theorem5_evidence`) and the check's own section judges
(:mod:`proofs_check.claims.thm5`) decide every status.
"""

from __future__ import annotations

from proofs_check.claims.thm5 import arm_points, reduction_points, sample_points, support_points
from proofs_check.tour import TourRow
from reductions.dyck_arm import BlockWindowARM, GreedyWindowARM, StackARM, Witness
from reductions.dyck_evidence import Theorem5Plan, theorem5_evidence

ORDER = 80
TITLE = "Theorem 5: two-sided Dyck-k (AP-MDM vs ARM)"

#: The tour's sizes: support for k = 2 up to 6, 500 samples (k = 3, even lengths up to 100, not replayed), the
#: window ARMs w = 2, 4 up to length 8, the EOS reduction on three ARMs up to length 5, no state counts.
WINDOWS = (2, 4)
PLAN = Theorem5Plan(
    support={2: 6}, samples=500, machine_every=0,
    window_arms=tuple(arm for w in WINDOWS for arm in (GreedyWindowARM(k=2, w=w), BlockWindowARM(k=2, w=w))),
    window_length=8,
    reduction_arms=(StackARM(k=2), GreedyWindowARM(k=2, w=2), BlockWindowARM(k=2, w=2)), reduction_length=5,
    state_k=2, state_top=0, sample_ks=(3,), sample_max_length=100, sample_seed_stride=1000)


def _status(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def _length(w: Witness | None) -> str:
    return "-" if w is None else str(len(w.word))


def run(seed: int) -> list[TourRow]:
    """Support equality at small lengths, 500 valid samples, window thresholds, the EOS reduction."""
    ev = theorem5_evidence(PLAN, seed)
    sup = support_points(ev.support)
    counts = ", ".join(f"{r.generator}={r.bruteforce}" for r in ev.support if r.n % 2 == 0)
    rows = [TourRow(claim="k=2, n<=6: AP-MDM reachable outputs = brute-force Dyck words", measured=counts,
                    bound="equal sets", status=_status(all(p.ok for p in sup)))]
    smp = sample_points(ev.samples)
    rows.append(TourRow(claim="500 seeded AP-MDM samples (k=3, lengths 0..100) are Dyck words",
                        measured=f"{sum(s.invalid for s in ev.samples)} invalid", bound="0",
                        status=_status(all(p.ok for p in smp))))
    win = arm_points(ev.windows)
    greedy, block = ev.windows[0::2], ev.windows[1::2]
    got = [f"w={w}: greedy {_length(g.report.nonmember)}/{_length(g.report.missed)}, "
           f"block {_length(b.report.nonmember)}/{_length(b.report.missed)}"
           for w, g, b in zip(WINDOWS, greedy, block, strict=True)]
    rows.append(TourRow(claim="window-w ARMs: first emitted non-member / first missed member",
                        measured="; ".join(got), bound="greedy w+1/w+2, block none/w+2",
                        status=_status(all(p.ok for p in win))))
    red = reduction_points(ev.reductions)
    rows.append(TourRow(claim="EOS recogniser of an ARM (words <= 5): exact ARM errs 0 times, others -> witnesses",
                        measured=", ".join(f"{rc.arm}: {rc.errors} errors, {rc.verified} verified"
                                           for _, rc in ev.reductions),
                        bound="verified = errors", status=_status(all(p.ok for p in red))))
    return rows
