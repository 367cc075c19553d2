"""Tour: parity, learned.  The paper's process and its seven transitions; powergen's O(log n) process run by the
shipped 738-parameter numpy Transformer (``reductions/tasks/data/parity_parallel``, trained with seed 0 on <= 8
bits by ``powergen train parity-parallel --seed 0``) as an AP-MDM machine at lengths it never saw."""

from __future__ import annotations

from pathlib import Path

from machines.neural.checkpoint import load_checkpoint
from machines.neural.evaluate import evaluate, transition_fidelity
from machines.neural.pipeline import verify_transitions
from machines.neural.predictor import NeuralPredictor
from proofs_check.tour import TourRow
from reductions.tasks.parity import VOCAB, ParityTask, oracle, paper_transitions
from reductions.tasks.parity_parallel import ParityParallelTask, step_bound

ORDER = 50
TITLE = "parity: the paper's process and a learned O(log n) process"
CHECKPOINT = Path(__file__).resolve().parents[2] / "reductions" / "tasks" / "data" / "parity_parallel"


def _ok(cond: bool) -> str:
    return "ok" if cond else "FAIL"


def run(seed: int) -> list[TourRow]:
    rows = []
    seven = verify_transitions(paper_transitions(), mask_id=VOCAB.mask_id)
    rows.append(TourRow("paper's parity data: distinct transitions, each checked with g", str(len(seven)), "= 7",
                        _ok(len(seven) == 7)))
    paper = evaluate(ParityTask(), oracle, lengths=[64], count=10, seed=seed)[0]
    rows.append(TourRow("paper's process (oracle), n = 64: correct, max steps",
                        f"{paper.correct}/10, {paper.steps_max}", "10/10, <= 2n = 128",
                        _ok(paper.correct == 10 and paper.steps_max <= 128)))
    task = ParityParallelTask()
    ck = load_checkpoint(CHECKPOINT)
    pred = NeuralPredictor(config=ck.model, params=ck.params)
    n_params = int(sum(a.size for a in ck.params.values()))
    fid = transition_fidelity(pred, task.transitions(), mask_id=VOCAB.mask_id)
    rows.append(TourRow(f"learned f_theta ({n_params} params, <= 8 bits): training transitions reproduced",
                        f"{fid:.0%}", "100%", _ok(fid == 1.0)))
    lengths = [16, 64, 256]
    reps = evaluate(task, pred, lengths=lengths, count=10, seed=seed)
    good = all(r.correct == r.count for r in reps)
    rows.append(TourRow("learned f_theta as AP-MDM at n = 16, 64, 256: correct",
                        " ".join(f"{r.correct}/{r.count}" for r in reps), "all", _ok(good)))
    within = all(r.steps_max <= step_bound(r.length) for r in reps)
    rows.append(TourRow("learned f_theta: max steps at n = 16, 64, 256",
                        " ".join(str(r.steps_max) for r in reps),
                        "<= 2 ceil(log2 n) + 2 = " + " ".join(str(step_bound(n)) for n in lengths), _ok(within)))
    return rows
