"""Tour section: the five machines on one tiny task (copy a prompt), each beside its AP-MDM embedding, and g itself."""

from __future__ import annotations

import json

import numpy as np

from machines.demos import DEMO_VOCAB, demo_machine, demo_start
from machines.paradigm_embeddings import check_embedding
from machines.trace import parse_trace, replay, trace_lines
from machines.transition import apply_g, apply_g_reference
from proofs_check.tour import TourRow

ORDER = 10
TITLE = "Machines: ARM, MDM, AO-MDM, Masked-ARM, AP-MDM and the transition g"

N = 4  # prompt length
RELATION = {"arm": "T_AP = T_ARM (EOS)", "mdm": "T_AP = T_MDM", "ao-mdm": "T_AP = T_AO-MDM",
            "masked-arm": "T_AP = T_Masked-ARM"}


def _status(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def run(seed: int) -> list[TourRow]:
    """Seven rows: four embeddings, the AP-MDM demo (all four operations), g vs reference, trace corruption."""
    rows = []
    for p in ("arm", "mdm", "ao-mdm", "masked-arm"):
        x0 = demo_start(p, n=N, seed=seed)
        r = demo_machine(p).run(x0, seed=seed)
        c = check_embedding(demo_machine(p), x0, seed=seed)
        names = DEMO_VOCAB.decode(r.final)
        copied = names[names.index("|") + 1:][:N] == [t for t in names[:names.index("|")] if t != "[BOS]"]
        rows.append(TourRow(claim=f"{p} copies a {N}-token prompt; its AP-MDM embedding reproduces the run",
                            measured=f"T={c.source_steps} ({c.source_halt}) -> T_AP={c.target_steps} "
                                     f"({c.target_halt}), same final={c.same_final}",
                            bound=RELATION[p], status=_status(c.ok and copied)))
    m = demo_machine("ap-mdm")
    x0 = demo_start("ap-mdm", n=N + 1, seed=seed)
    r = m.run(x0, seed=seed, keep_records=True)
    cn = r.counters
    identity = len(r.final) == len(x0) + cn.inserted - cn.deleted
    ops_used = min(cn.unmasked, cn.remasked, cn.inserted, cn.deleted) > 0
    lines = trace_lines(paradigm="ap-mdm", vocab=DEMO_VOCAB, records=r.records or (), halt_reason=r.halt_reason)
    rows.append(TourRow(claim="ap-mdm copy with insert/delete/remask; |x_T| = |x_0| + ins - del; trace replays",
                        measured=f"T={cn.steps}, peak {cn.peak_length}, u/r/i/d={cn.unmasked}/{cn.remasked}/"
                                 f"{cn.inserted}/{cn.deleted}",
                        bound="all four ops > 0; identity holds",
                        status=_status(identity and ops_used and replay(parse_trace("\n".join(lines))).ok)))
    rng = np.random.default_rng(seed)
    agree = 0
    trials = 200
    for _ in range(trials):
        n = int(rng.integers(0, 30))
        x = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 7, n))
        y = rng.integers(1, 7, n)
        ctrl = [(rng.random(n) < 0.3).astype(np.int64) for _ in range(3)]
        agree += apply_g(x, y, *ctrl, mask_id=0).tolist() == apply_g_reference(
            x.tolist(), y.tolist(), *(c.tolist() for c in ctrl), mask_id=0)
    rows.append(TourRow(claim="vectorised g equals the plain Algorithm 1 reference on random inputs",
                        measured=f"{agree}/{trials}", bound=f"{trials}/{trials}", status=_status(agree == trials)))
    rejected = tried = 0
    for _ in range(60):
        k = int(rng.integers(1, len(lines) - 1))
        obj = json.loads(lines[k])
        field = ("x", "y", "x_next")[int(rng.integers(3))]
        i = int(rng.integers(len(obj[field])))
        others = [t for t in DEMO_VOCAB.names if t != obj[field][i]]
        obj[field][i] = others[int(rng.integers(len(others)))]
        tried += 1
        rejected += not replay(parse_trace("\n".join(lines[:k] + [json.dumps(obj)] + lines[k + 1:]))).ok
    rows.append(TourRow(claim="replay rejects a trace with one token changed", measured=f"{rejected}/{tried}",
                        bound=f"{tried}/{tried}", status=_status(rejected == tried)))
    return rows
