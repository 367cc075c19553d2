"""Tour: parity, learned.  The paper's process and its seven transitions; a 204-parameter numpy Transformer
trained here on length-2 inputs only (the paper's seven moves with EOS, plus two halting steps of powergen's; 0.5 s)
and run as an AP-MDM at 100 and 1000 bits, where it applies the paper's rule to every pair at once; powergen's
O(log n) process run by the shipped 738-parameter numpy Transformer (``reductions/tasks/data/parity_parallel``,
trained with seed 0 on <= 8 bits by ``powergen train parity-parallel --seed 0``) as an AP-MDM machine at lengths it
never saw."""

from __future__ import annotations

from pathlib import Path

from machines.neural.checkpoint import load_checkpoint
from machines.neural.predictor import NeuralPredictor
from proofs_check.experiments.evaluate import evaluate, transition_fidelity
from proofs_check.experiments.train import train, verify_transitions
from proofs_check.tour import TourRow
from reductions.tasks.parity import VOCAB, ParityTask, oracle, pairwise_step_bound, paper_transitions
from reductions.tasks.parity_parallel import ParityParallelTask, step_bound

ORDER = 50
TITLE = "parity: the paper's process learned on length 2, and a learned O(log n) process"
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
    ptask = ParityTask()
    res = train(ptask.transitions(), model=ptask.model_config(), train_cfg=ptask.train_config(), seed=seed)
    ppred = NeuralPredictor(config=res.model, params=res.params)
    pfid = transition_fidelity(ppred, ptask.transitions(), mask_id=VOCAB.mask_id)
    rows.append(TourRow(f"f_theta ({res.n_params} params) trained on length 2 only: training transitions reproduced",
                        f"{pfid:.0%}", "100%", _ok(pfid == 1.0)))
    preps = evaluate(ptask, ppred, lengths=[100, 1000], count=10, seed=seed)
    rows.append(TourRow("that f_theta as AP-MDM at n = 100, 1000: correct, max steps",
                        " ".join(f"{r.correct}/{r.count}" for r in preps) + ", "
                        + " ".join(str(r.steps_max) for r in preps),
                        "all, <= 4 (every pair at once)",
                        _ok(all(r.correct == r.count and r.steps_max <= pairwise_step_bound(r.length) for r in preps))))
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
