"""Tour section: Theorem 3 -- an AO-MDM rearranged into a left-to-right Masked-ARM, and k tokens per step.

The rows are points of ``powergen check thm3`` at tour sizes: each run is judged by the check's own point
functions (:func:`proofs_check.claims.thm3.run_point`, :func:`~proofs_check.claims.thm3.k_point`).
"""

from __future__ import annotations

import numpy as np

from proofs_check.claims.thm3 import k_point, run_point
from proofs_check.tour import TourRow
from reductions.aomdm_examples import BIT_VOCAB, CircuitPredictor, k_per_step_table, parity_tree, random_aomdm_predictor
from reductions.aomdm_to_masked_arm import LOOKUP_PASSES, simulate

ORDER = 30
TITLE = "Theorem 3: AO-MDM -> Masked-ARM"


def _status(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def run(seed: int) -> list[TourRow]:
    """Three rows: a circuit decoded in a scrambled order, random AO-MDMs at S = 16 and 128, and k = 8 per step."""
    rows = []
    c = parity_tree(16)
    bits = [int(b) for b in np.random.default_rng(seed).integers(0, 2, 16)]
    r = simulate(predictor=CircuitPredictor(circuit=c, order="scrambled", salt=seed), vocab=BIT_VOCAB,
                 x0=c.start(bits), seed=seed)
    rows.append(TourRow(claim=f"parity-tree-16 (S={r.canvas_length}): Masked-ARM steps = AO-MDM steps, same canvas",
                        measured=f"{r.marm_steps} = {r.ao_steps}, same={r.same_final and r.lockstep}",
                        bound="equal", status=_status(run_point(f"{c.name} (scrambled)", r).ok)))
    passes: set[int] = set()
    lengths = []
    ok = True
    for S in (16, 128):
        x0 = np.zeros(S, dtype=np.int64)
        x0[::4] = 1
        r = simulate(predictor=random_aomdm_predictor(3, 0, seed=seed, use_rng=True), vocab=BIT_VOCAB, x0=x0, seed=seed)
        passes.update(r.lookup_passes)
        lengths.append(f"{r.marm_length}<={2 * S}")
        ok = ok and run_point(f"random AO-MDM S={S} (rng)", r).ok
    rows.append(TourRow(claim="random AO-MDM, S=16 and 128: Masked-ARM length <= 2S, extra lookup passes",
                        measured=f"{', '.join(lengths)}; passes {sorted(passes)}", bound=f"2S; {LOOKUP_PASSES}",
                        status=_status(ok and passes == {LOOKUP_PASSES})))
    c = parity_tree(64)
    x0 = c.start([1] * 64)
    row = k_per_step_table(proposer=CircuitPredictor(circuit=c, k=c.size), vocab=BIT_VOCAB, x0=x0, ks=(8,),
                           seed=seed)[0]
    bound = -(-row.masks // 8) + c.depth
    rows.append(TourRow(claim="parity-tree-64 with 8 tokens per step vs 1 (same output)",
                        measured=f"{row.steps} vs {row.steps_one} steps", bound=f"<= ceil(m/8)+depth = {bound}",
                        status=_status(k_point(c.name, x0, BIT_VOCAB.mask_id, row, c.depth).ok)))
    return rows
