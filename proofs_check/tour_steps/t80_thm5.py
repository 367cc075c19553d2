"""Tour section: Theorem 5 -- an AP-MDM that generates exactly two-sided Dyck-k; ARMs with bounded windows fail."""

from __future__ import annotations

from proofs_check.tour import TourRow
from reductions.dyck_arm import BlockWindowARM, GreedyWindowARM, StackARM, SupportARM, first_failures
from reductions.dyck_arm_run import reduction_check
from reductions.dyck_generator import DyckGenerator, reachable_outputs, sample_word
from reductions.dyck_matrix import code_of_word, dyck_codes_bruteforce
from reductions.dyck_two_sided import dyck_count, is_dyck

ORDER = 80
TITLE = "Theorem 5: two-sided Dyck-k (AP-MDM vs ARM)"


def run(seed: int) -> list[TourRow]:
    """Support equality at small lengths, 500 valid samples, window thresholds, the EOS reduction."""
    rows = []
    summary = reachable_outputs(DyckGenerator(k=2), 6)
    counts, ok = [], True
    for n in range(0, 7, 2):
        gen = sorted(code_of_word(w, 2) for w in summary.outputs.get(n, []))
        brute = dyck_codes_bruteforce(2, n).tolist()
        ok = ok and gen == brute and len(brute) == dyck_count(2, n)
        counts.append(f"{len(gen)}={len(brute)}")
    rows.append(TourRow(claim="k=2, n<=6: AP-MDM reachable outputs = brute-force Dyck words",
                        measured=", ".join(counts), bound="equal sets", status="ok" if ok else "FAIL"))
    bad = sum(not is_dyck(sample_word(3, 2 * (i % 51), seed=seed * 1000 + i)) for i in range(500))
    rows.append(TourRow(claim="500 seeded AP-MDM samples (k=3, lengths 0..100) are Dyck words",
                        measured=f"{bad} invalid", bound="0", status="ok" if bad == 0 else "FAIL"))
    got = []
    ok = True
    for w in (2, 4):
        g = first_failures(GreedyWindowARM(k=2, w=w), 8)
        b = first_failures(BlockWindowARM(k=2, w=w), 8)
        lens = (len(g.nonmember.word) if g.nonmember else None, len(g.missed.word) if g.missed else None,
                b.nonmember, len(b.missed.word) if b.missed else None)
        ok = ok and lens == (w + 1, w + 2, None, w + 2)
        got.append(f"w={w}: greedy {lens[0]}/{lens[1]}, block -/{lens[3]}")
    rows.append(TourRow(claim="window-w ARMs: first emitted non-member / first missed member",
                        measured="; ".join(got), bound="greedy w+1/w+2, block none/w+2",
                        status="ok" if ok else "FAIL"))
    arms: list[SupportARM] = [StackARM(k=2), GreedyWindowARM(k=2, w=2), BlockWindowARM(k=2, w=2)]
    rc = [reduction_check(a, 5) for a in arms]
    ok = all(r.ok for r in rc) and rc[0].errors == 0 and rc[0].exact
    rows.append(TourRow(claim="EOS recogniser of an ARM (words <= 5): exact ARM errs 0 times, others -> witnesses",
                        measured=", ".join(f"{r.arm}: {r.errors} errors, {r.verified} verified" for r in rc),
                        bound="verified = errors", status="ok" if ok else "FAIL"))
    return rows
