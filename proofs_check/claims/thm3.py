"""Theorem 3: the claim and its measurement -- an AO-MDM rearranged left to right, and the k-per-step companion.

Table 1 runs every AO-MDM case (circuits decoded in several orders, random AO-MDM predictors, a Transformer with
random weights decoding one token per step, and the Theorem 1 PRAM simulation restricted to one token per step) and
its Masked-ARM simulation (:mod:`reductions.aomdm_to_masked_arm`) side by side: same final canvas (checked in lock
step), same number of steps, Masked-ARM length ``<= 2S``, and 3 extra lookup passes for every ``S`` (the count
f' is *measured* to make through its counting :class:`~reductions.aomdm_to_masked_arm.SequenceReader`).

Table 2 is the companion: the same computation with at most ``k`` tokens per step (a parallel MDM) against one per
step.  Steps fall to about ``steps_1 / k``: ``ceil(m/k) <= steps_k <= ceil(m/k) + depth`` (Brent's bound for a
greedy schedule; ``depth`` is the dependency depth, computed independently of the runs: ``Circuit.depth`` for a
circuit, the PRAM's own step count plus the output block for Theorem 1), outputs equal.  This is where MDM's advantage
over left-to-right generation lies: tokens per step, not order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial
from itertools import islice

import numpy as np

from machines.predictor import Predictor
from machines.vocab import BaseVocabulary, simple_vocabulary
from pram.machine import PRAM
from pram.programs import get_program
from proofs_check.bounds import Bound
from proofs_check.claims import CheckPoint, CheckReport, Claim, register_claim
from proofs_check.cli_common import progress
from proofs_check.parallel import map_items
from reductions.aomdm_examples import (
    BIT_VOCAB,
    ORDERS,
    CircuitPredictor,
    CompanionRow,
    KPerStep,
    k_per_step_table,
    parity_tree,
    prefix_xor,
    random_aomdm_predictor,
    random_circuit,
    reverse_copy,
)
from reductions.aomdm_to_masked_arm import LOOKUP_PASSES, Theorem3Run, simulate
from reductions.mdm_to_serial import transformer_aomdm_case
from reductions.pram_to_mdm import build_mdm

__all__ = ["CLAIM", "COMPANION", "k_point", "report", "run_point", "table_one", "table_two", "thm3_reports"]

CLAIM = register_claim(Claim(
    id="thm3", theorem=3,
    statement_paper="An AO-MDM with context S(n) (one token per step) is simulated by a left-to-right Masked-ARM "
                    "of sequence length O(S(n)) with a constant number of extra layers [S:mtp, papernotes].",
    statement_checked="On every case: Masked-ARM steps == AO-MDM steps, same final canvas (lock step), Masked-ARM "
                      "length <= 2*S, and f' makes exactly 3 lookup passes besides the AO-MDM network, for every S.",
    quantities=("marm_steps", "marm_length", "lookups"),
    bounds=(Bound("marm_steps", "ao_steps", ("ao_steps",), kind="eq"), Bound("marm_length", "2*S", ("S",)),
            Bound("lookups", str(LOOKUP_PASSES), (), kind="eq")),
    reconstruction="The record layout [prompt | (position, token) slots], the three lookup passes and every example "
                   "are the project's reconstruction of the sketch in PAPER.md §2 (Theorem 3, [I])."))

COMPANION = register_claim(Claim(
    id="thm3-companion", theorem=3,
    statement_paper="Once tokens per step and architecture are controlled, any order adds nothing; MDM's advantage "
                    "is parallel decoding [S:mtp].",
    statement_checked="With at most k tokens per step: ceil(m/k) <= steps_k <= ceil(m/k) + depth, and the output "
                      "equals the one-token-per-step output.",
    quantities=("steps",),
    bounds=(Bound("steps", "ceiling(masks/k) + depth", ("masks", "k", "depth")),),
    reconstruction="The greedy k-per-step schedule (lowest positions first) is the project's choice."))

Case = tuple[str, Predictor, BaseVocabulary, np.ndarray]
#: (name, proposer, vocabulary, start, ks, depth); depth is computed independently of the k-per-step runs.
CompanionCase = tuple[str, Predictor, BaseVocabulary, np.ndarray, tuple[int, ...], int]


def _bits(n: int, rng: np.random.Generator) -> list[int]:
    return [int(b) for b in rng.integers(0, 2, n)]


def _cases(seed: int, quick: bool) -> Iterator[Case]:
    rng = np.random.default_rng(seed)
    sizes = (8, 32) if quick else (8, 32, 128)
    for i, n in enumerate(sizes):
        for j, make in enumerate((parity_tree, prefix_xor, reverse_copy)):
            c = make(n)
            order = ORDERS[(i + j) % len(ORDERS)]
            yield f"{c.name} ({order})", CircuitPredictor(circuit=c, order=order, salt=seed), BIT_VOCAB, \
                c.start(_bits(n, rng))
    c = random_circuit(6, 40 if quick else 120, seed=seed)
    yield f"{c.name} (random)", CircuitPredictor(circuit=c, order="random"), BIT_VOCAB, c.start(_bits(6, rng))
    vocab = simple_vocabulary([f"t{i}" for i in range(6)])
    for S in ((16, 64) if quick else (16, 64, 256, 1024)):
        x0 = np.where(rng.random(S) < 0.7, vocab.mask_id, rng.integers(1, vocab.size, S)).astype(np.int64)
        for use_rng in (False, True):
            name = f"random AO-MDM S={S} ({'rng' if use_rng else 'pure'})"
            yield name, random_aomdm_predictor(vocab.size, vocab.mask_id, seed=seed, use_rng=use_rng), vocab, x0
    yield from _extra_cases(seed, quick)


def _extra_cases(seed: int, quick: bool) -> Iterator[Case]:
    """The Transformer AO-MDM (Theorem 2's model, random weights) and the Theorem 1 simulation, one token per step."""
    for S in ((8, 16) if quick else (8, 16, 32, 64)):
        yield transformer_aomdm_case(S=S, seed=seed)
    yield from _thm1_cases(seed, quick, one_per_step=True)


def _thm1_cases(seed: int, quick: bool, *, one_per_step: bool) -> Iterator[Case]:
    """Theorem 1's write-once PRAM simulation (its MDM fills a whole block per step); ``KPerStep(k=1)`` makes it an
    AO-MDM.  Word width 16 bits keeps the Masked-ARM's record vocabulary ``(S+1) * B`` within int64."""
    for name, n in (("prefix-sums", 8), ("sum", 8)) if quick else (("prefix-sums", 16), ("sum", 32)):
        prog = get_program(name)
        inst = prog.random_instance(n, np.random.default_rng(seed))
        con, x0 = build_mdm(prog, inst, word_bits=16)
        pred: Predictor = KPerStep(inner=con, k=1, mask_id=con.vocab.mask_id) if one_per_step else con
        yield f"thm1 {name} n={n}", pred, con.vocab, x0


def run_point(name: str, r: Theorem3Run) -> CheckPoint:
    """The check point of one side-by-side run.  ``lookups`` is the largest pass count f' was measured to make
    (there is no default: a run with no measured call of f' fails, as does one whose count varied)."""
    params: dict[str, int | str] = {"case": name, "S": r.canvas_length, "masks": r.masks}
    same = r.same_final and r.lockstep
    if not r.lookup_passes:
        return CheckPoint(params=params, measured={"ao_steps": r.ao_steps, "marm_steps": r.marm_steps,
                                                   "marm_length": r.marm_length, "same_canvas": int(same)},
                          bounds={}, ok=False, note="no call of f' was measured")
    measured = {"ao_steps": r.ao_steps, "marm_steps": r.marm_steps, "marm_length": r.marm_length,
                "lookups": max(r.lookup_passes)}
    rendered, ok = CLAIM.check_bounds(measured, params)
    notes = [] if same else ["canvas differs"]
    if len(r.lookup_passes) > 1:
        notes.append(f"pass count varied over the run: {list(r.lookup_passes)}")
    return CheckPoint(params=params, measured={**measured, "same_canvas": int(same)}, bounds=rendered,
                      ok=ok and same and len(r.lookup_passes) == 1, note="; ".join(notes))


def table_one(seed: int, quick: bool, tick: Callable[[], None] = lambda: None) -> list[CheckPoint]:
    """Every AO-MDM case against its Masked-ARM simulation."""
    points = []
    for name, pred, vocab, x0 in _cases(seed, quick):
        points.append(run_point(name, simulate(predictor=pred, vocab=vocab, x0=x0, seed=seed)))
        tick()
    return points


def _companion_cases(seed: int, quick: bool) -> Iterator[CompanionCase]:
    """Circuits (depth: :attr:`Circuit.depth`, the longest input-to-gate path) and Theorem 1's MDM (depth: the
    PRAM's own step count ``T`` from :class:`pram.machine.PRAM`, plus the output block)."""
    rng = np.random.default_rng(seed + 1)
    n = 32 if quick else 128
    for c, ks in ((reverse_copy(n), (2, 8, n)), (parity_tree(n), (2, 8, n)), (prefix_xor(n // 4), (4, n // 4)),
                  (random_circuit(8, n, seed=seed), (2, 8))):
        yield c.name, CircuitPredictor(circuit=c, k=c.size), BIT_VOCAB, c.start(_bits(c.num_inputs, rng)), ks, \
            c.depth
    for name, n_in in (("prefix-sums", 8), ("sum", 8)) if quick else (("prefix-sums", 16), ("sum", 32)):
        prog = get_program(name)
        inst = prog.random_instance(n_in, np.random.default_rng(seed))
        con, x0 = build_mdm(prog, inst, word_bits=16)
        m = int(np.count_nonzero(x0 == con.vocab.mask_id))
        depth = int(PRAM(program=prog).run(inst).counters.time) + 1
        yield f"thm1 {name} n={n_in}", con, con.vocab, x0, (4, 16, m), depth


def table_two(seed: int, quick: bool, tick: Callable[[], None] = lambda: None) -> list[CheckPoint]:
    """k tokens per step against one per step."""
    points: list[CheckPoint] = []
    for name, proposer, vocab, x0, ks, depth in _companion_cases(seed, quick):
        rows = k_per_step_table(proposer=proposer, vocab=vocab, x0=x0, ks=ks, seed=seed)
        points.extend(k_point(name, x0, vocab.mask_id, row, depth) for row in rows)
        tick()
    return points


def k_point(name: str, x0: np.ndarray, mask_id: int, row: CompanionRow, depth: int) -> CheckPoint:
    """The check point of one k-per-step row: the companion claim's bounds, at least ceil(m / k) steps, the same
    output as one token per step, and one step per mask at k = 1."""
    m = int(np.count_nonzero(x0 == mask_id))
    params: dict[str, int | str] = {"case": name, "S": int(x0.shape[0]), "masks": m, "k": row.k, "depth": depth}
    measured = {"steps": row.steps, "steps_one": row.steps_one}
    rendered, ok = COMPANION.check_bounds(measured, params)
    lower = math.ceil(m / row.k) <= row.steps
    return CheckPoint(params=params, measured=measured, bounds={**rendered, "speedup": f"{row.speedup:.2f}"},
                      ok=ok and lower and row.same_output and row.steps_one == m,
                      note="" if row.same_output else "outputs differ")


def _table_item(item: tuple[str, int], *, seed: int, quick: bool) -> list[CheckPoint]:
    """The points of case ``item = (table, index)`` (table ``"one"`` or ``"two"``), the unit of work on ``--workers``
    processes.  The case is rebuilt here from ``(seed, quick)`` (building all of them takes milliseconds), so no
    predictor has to be pickled and a case does not depend on which process runs it."""
    table, index = item
    if table == "one":
        name, pred, vocab, x0 = next(islice(_cases(seed, quick), index, None))
        return [run_point(name, simulate(predictor=pred, vocab=vocab, x0=x0, seed=seed))]
    name, proposer, vocab, x0, ks, depth = next(islice(_companion_cases(seed, quick), index, None))
    rows = k_per_step_table(proposer=proposer, vocab=vocab, x0=x0, ks=ks, seed=seed)
    return [k_point(name, x0, vocab.mask_id, row, depth) for row in rows]


def thm3_reports(seed: int = 0, *, quick: bool = False, show_progress: bool = False,
                 workers: int = 1) -> tuple[CheckReport, CheckReport]:
    """Both tables as :class:`CheckReport` s (deterministic for a given seed; the cases are measured on ``workers``
    processes, with the same result for any number)."""
    items = [("one", i) for i in range(sum(1 for _ in _cases(seed, quick)))]
    items += [("two", i) for i in range(sum(1 for _ in _companion_cases(seed, quick)))]
    one: list[CheckPoint] = []
    two: list[CheckPoint] = []
    with progress(show_progress, "theorem 3", len(items)) as advance:
        for (table, _), pts in zip(items, map_items(partial(_table_item, seed=seed, quick=quick), items, workers),
                                   strict=True):
            (one if table == "one" else two).extend(pts)
            advance()
    passes = sorted({int(p.measured["lookups"]) for p in one if "lookups" in p.measured})
    r1 = CheckReport(claim="thm3", points=tuple(one), ok=all(p.ok for p in one) and passes == [LOOKUP_PASSES],
                     extra={"seed": seed, "lookup_passes_over_all_S": passes, "claim_def": CLAIM.to_json()})
    r2 = CheckReport(claim="thm3-companion", points=tuple(two), ok=all(p.ok for p in two),
                     extra={"claim_def": COMPANION.to_json()})
    return r1, r2


def report(seed: int = 0, quick: bool = False, *, show_progress: bool = False,
           workers: int = 1) -> tuple[CheckReport, CheckReport]:
    """Both tables as :class:`CheckReport` s (deterministic for a given seed, the same for any number of
    ``workers``)."""
    return thm3_reports(seed, quick=quick, show_progress=show_progress, workers=workers)
