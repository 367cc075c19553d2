"""Theorem 2 (MDM on one processor): the claim and its measurement, counted operation by operation.

For each context length ``S`` (a Transformer encoder with ``L = 2`` layers, 2 heads, width ``d = O(log S)``
(:func:`reductions.mdm_to_serial.width_for`), random weights, a prompt of ``S/4`` tokens, ``k`` tokens per step):

* the vectorised MDM machine runs the numpy model (:class:`machines.paradigms.MDM`) and its steps are measured
  (``S <= machine_max``);
* the single-processor interpreter (:func:`reductions.mdm_to_serial.serial_decode`) decodes the same sequence,
  counting every scalar operation; its count must EQUAL the closed form and its output the machine's
  (``S <= interpret_max``);
* the closed form (:func:`reductions.mdm_to_serial.serial_ops`) gives the count at every ``S``; it is held against
  ``steps <= S`` and ``ops <= c * S^3 * log2 S`` with the explicit ``c`` of
  :func:`reductions.mdm_to_serial.bound_constant`; its growth is reported, not part of the verdict.

Beyond ``machine_max`` the steps are the schedule's exact count ``ceil(masks / k)``, and the row says so.
:func:`report` is what ``powergen check thm2`` renders; the tour's Theorem 2 section reads :func:`point`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from machines.paradigms import MDM
from proofs_check.bounds import Bound
from proofs_check.claims import CheckPoint, CheckReport, Claim, register_claim
from proofs_check.growth import classify_growth
from proofs_check.parallel import map_items
from reductions.mdm_to_serial import (
    THM2_VOCAB,
    TransformerMDMPredictor,
    bound_constant,
    model_config,
    random_params,
    serial_decode,
    serial_ops,
    start_sequence,
)

__all__ = ["C", "CLAIM", "DEFAULT_SIZES", "point", "report", "thm2_report"]

LAYERS, HEADS = 2, 2
C = bound_constant(layers=LAYERS, heads=HEADS, vocab_size=THM2_VOCAB.size)

CLAIM = register_claim(Claim(
    id="thm2", theorem=2,
    statement_paper="MDM(S(n)) ⊆ PRAM(1, Õ(S(n)^3)): an MDM with context S(n) can be simulated serially in "
                    "Õ(S^3) time [V:moonlight].",
    statement_checked=f"For an L={LAYERS}, {HEADS}-head encoder of width d = O(log S) with any weights: every run has "
                      f"steps <= S, and one processor decodes it in exactly serial_ops(S, L, d, heads, steps) scalar "
                      f"operations (interpreter == formula), which is <= {C} * S^3 * log2 S for every S >= 4.",
    quantities=("steps", "ops"),
    bounds=(Bound("steps", "S", ("S",)), Bound("ops", f"{C}*S**3*log(S, 2)", ("S",))),
    reconstruction="The serial interpreter, the decoding rule (k most confident masks) and the constant c are the "
                   "project's reconstruction of the argument in PAPER.md §2 (Theorem 2, [I])."))


def point(S: int, *, k: int, seed: int, machine: bool, interpret: bool) -> CheckPoint:
    cfg = model_config(S, layers=LAYERS, heads=HEADS, vocab_size=THM2_VOCAB.size)
    x0 = start_sequence(S, cfg.vocab_size, seed)
    masks = int((x0 == cfg.mask_id).sum())
    params = random_params(cfg, seed) if machine or interpret else {}
    notes = []
    final = None
    if machine:
        res = MDM(vocab=THM2_VOCAB, predictor=TransformerMDMPredictor(cfg=cfg, params=params, k=k)).run(x0, seed=seed)
        steps, final = res.counters.steps, tuple(int(t) for t in res.final)
    else:
        steps = -(-masks // k)
        notes.append("steps from the schedule (formula only)")
    ops = serial_ops(S, cfg, steps).total
    measured: dict[str, int] = {"d": cfg.d_model, "masks": masks, "steps": steps, "ops": ops}
    params_: dict[str, int | str] = {"S": S, "k": k}
    rendered, ok = CLAIM.check_bounds(measured, params_)
    if interpret:
        run = serial_decode(cfg, params, x0, k=k)
        measured["interp_ops"] = run.counts.total
        same = final is None or run.final == final
        ok = ok and run.counts.total == ops and run.steps == steps and same
        if not same:
            notes.append("interpreter output differs from the machine's")
        notes.append(f"decision margins: logits {run.min_token_gap:.1e}, confidences {run.min_choice_gap:.1e}")
    return CheckPoint(params=params_, measured=measured,
                      bounds={**rendered, "ratio": f"{ops / (S**3 * math.log2(S)):.2f}",
                              "equal": "" if not interpret else ("yes" if measured["interp_ops"] == ops else "NO")},
                      ok=ok, note="; ".join(notes))


def _size_point(S: int, *, k: int, seed: int, machine_max: int, interpret_max: int) -> CheckPoint:
    """The point of size ``S`` (the unit of work on ``--workers`` processes)."""
    return point(S, k=k, seed=seed, machine=S <= machine_max, interpret=S <= interpret_max)


def thm2_report(*, sizes: tuple[int, ...], k: int = 1, seed: int = 0, machine_max: int = 256, interpret_max: int = 32,
                tick: Callable[[], None] = lambda: None, workers: int = 1) -> CheckReport:
    """The Theorem 2 sweep (deterministic for a given seed: each size is seeded by ``seed`` alone, so the report is
    the same on any number of ``workers`` processes)."""
    points = []
    one = partial(_size_point, k=k, seed=seed, machine_max=machine_max, interpret_max=interpret_max)
    for pt in map_items(one, sizes, workers, cost=lambda S: S if S <= machine_max else 0):
        points.append(pt)
        tick()
    ns = [int(p.params["S"]) for p in points]
    extra: dict[str, Any] = {"c": C, "layers": LAYERS, "heads": HEADS, "vocab": THM2_VOCAB.size, "seed": seed,
                             "claim_def": CLAIM.to_json()}
    if len(ns) >= 3:
        fit = classify_growth(ns, [p.measured["ops"] for p in points])
        per_log = classify_growth(ns, [p.measured["ops"] / math.log2(n) for p, n in zip(points, ns, strict=True)])
        extra["growth_ops"] = fit.to_json()
        extra["growth_ops_over_log2S"] = per_log.to_json()
        extra["growth_steps"] = classify_growth(ns, [p.measured["steps"] for p in points]).to_json()
    ok = all(p.ok for p in points)
    return CheckReport(claim="thm2", points=tuple(points), ok=ok, extra=extra)


DEFAULT_SIZES = (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
#: Quick mode: sizes up to 256, the machine up to 64, the interpreter up to 16.
QUICK = {"top": 256, "machine_max": 64, "interpret_max": 16}


def report(seed: int = 0, quick: bool = False, *, max_s: int = 4096, k: int = 1, machine_max: int = 256,
           interpret_max: int = 32, tick: Callable[[], None] = lambda: None, workers: int = 1) -> CheckReport:
    """The check (quick: the :data:`QUICK` caps on top of the given ones); deterministic for a given seed."""
    if quick:
        max_s, machine_max = min(max_s, QUICK["top"]), min(machine_max, QUICK["machine_max"])
        interpret_max = min(interpret_max, QUICK["interpret_max"])
    sizes = tuple(S for S in DEFAULT_SIZES if S <= max_s)
    return thm2_report(sizes=sizes, k=k, seed=seed, machine_max=machine_max, interpret_max=interpret_max, tick=tick,
                       workers=workers)
