"""Sudoku learned by AP-MDM (PAPER.md §3.1): training data, the two AP-MDM models, decision types, evaluation.

**Data.**  The training puzzles (``reductions/tasks/data/sudoku_train_100.txt``, or any puzzle file) are solved by
the exact MRV process of :mod:`reductions.tasks.sudoku`; its 2-step remask/unmask transitions go into a transition
store (:mod:`proofs_check.experiments.store`: content hash, every step checked with ``g`` as it is built) named after
the sha256 of the puzzle list, so another file gives another store.

**Models** (one model class, :class:`machines.neural.model.Transformer`):

* ``ap-mdm`` -- the paper's row: a plain bidirectional Transformer over the 324 tokens (4 per cell, the official
  encoding), the official heads (token head + remask/insert/delete), rotary positions; the size of the released
  ``train/configs/sudoku.yaml`` (4 blocks, 2 heads, d = 128; PAPER.md §3.1).
* ``ap-mdm-peer`` -- the project's design [I]: the 4 tokens of a cell pooled into one position (81 positions),
  attention restricted to the cell's peers (row, column, box), rotary positions over the cell index (relative
  offsets only), and halting supervised: with probability ``1 / (mean trajectory length + 1)`` a batch row is a
  trajectory's final state with the no-op target (nothing remasked), which the paper's data never contains
  (PAPER.md §3.1: "halting is never supervised").  The model still sees only the token sequence and is judged only
  through the exact machine.

**Evaluation.**  :func:`evaluate_apmdm` rolls every test puzzle out on the exact AP-MDM machine
(:func:`~proofs_check.experiments.decoders.apmdm_rollout`, every step through ``g``) to a fixed point, under a step
cap of ``cap_multiple`` times the oracle's trajectory length of that puzzle; the final grid is judged by the
independent validator (:func:`reductions.tasks.sudoku_grid.solution_problems`: rows, columns, boxes, givens) and
against the oracle's solution (unique for the shipped puzzle files).  :func:`step_accuracy` is the teacher-forced
measure: on the oracle's test transitions, how often the prediction, through ``g``, gives exactly ``x_{k+1}``, by
decision type (:func:`reductions.tasks.sudoku.decision_type`).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from machines.errors import MachineError
from machines.neural.config import ModelConfig, TrainConfig, standard_rotary
from machines.neural.layers import Params
from machines.neural.loss import Batch, LossResult
from machines.neural.model import Outputs
from machines.neural.objectives import apmdm_objective
from machines.predictor import Prediction, Transition
from machines.transition import apply_g
from proofs_check.errors import CheckError
from proofs_check.experiments.decoders import BatchPredictor, NeuralBatchPredictor, apmdm_rollout
from proofs_check.experiments.store import TransitionStore
from proofs_check.experiments.trainer import Sampler, single_thread_blas
from reductions.errors import ReductionError
from reductions.tasks.sudoku import DECISIONS, SudokuTrajectory, decision_type, decode_values, encode_grid, solve
from reductions.tasks.sudoku_grid import (
    CONTEXT,
    MASK,
    SUDOKU_VOCAB,
    parse_puzzle,
    read_puzzle_file,
    solution_problems,
)

__all__ = ["PAPER_ACCURACY", "SudokuSource", "TEST_FILE", "TRAIN_FILE", "evaluate_apmdm", "judge_grid", "model_config",
           "read_puzzles", "step_accuracy", "store_sampler", "train_config"]

DATA = Path(__file__).resolve().parents[2] / "reductions" / "tasks" / "data"
TRAIN_FILE = DATA / "sudoku_train_100.txt"
TEST_FILE = DATA / "sudoku_test_1000.txt"
#: PAPER.md §3.0 table: AP-MDM (100 puzzles), AO-MDM with Top-K margin and the ordered ARM (Kim et al., 1.8M samples)
PAPER_ACCURACY = {"ap-mdm": "99.28", "ap-mdm-peer": "-", "ao-mdm": "89.49", "arm": "87.18"}


class SudokuDataError(CheckError, ValueError):
    """A puzzle file for the Sudoku experiment cannot be used (unreadable, malformed, empty)."""


def read_puzzles(path: str | Path) -> list[str]:
    """The puzzles of a file (one per line, see :func:`~reductions.tasks.sudoku_grid.read_puzzle_file`) as
    81-character strings with ``0`` for blanks; :class:`SudokuDataError` if it cannot be read or holds none."""
    try:
        items = read_puzzle_file(path)
    except ReductionError as exc:
        raise SudokuDataError(str(exc)) from None
    if not items:
        raise SudokuDataError(f"{path}: no puzzle in the file")
    return ["".join(str(int(v)) for v in g) for _, g in items]


def puzzles_digest(puzzles: Sequence[str]) -> str:
    """sha256 of the puzzle list (one line each), hex."""
    return hashlib.sha256("".join(p + "\n" for p in puzzles).encode()).hexdigest()


class _LazyTransitions(Sequence[Transition]):
    """The transitions of one trajectory, built on access (a hard puzzle's ~25,000 int64 tuples would take ~400 MB)."""

    def __init__(self, traj: SudokuTrajectory) -> None:
        self.traj = traj
        self._zeros = np.zeros(CONTEXT, np.int64)

    def __len__(self) -> int:
        return self.traj.steps

    @overload
    def __getitem__(self, k: int) -> Transition: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[Transition]: ...

    def __getitem__(self, k: int | slice) -> Transition | Sequence[Transition]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        t = self.traj
        return Transition(x=t.states[k].astype(np.int64), y=t.y[k].astype(np.int64),
                          remask=t.remask[k].astype(np.int64), insert=self._zeros, delete=self._zeros,
                          x_next=t.states[k + 1].astype(np.int64))

    def __iter__(self) -> Iterator[Transition]:
        return (self[k] for k in range(len(self)))


class SudokuSource:
    """The training trajectories: puzzle ``index`` of the list, solved by the MRV process (``seed`` is unused: the
    search is deterministic).  A :class:`~proofs_check.experiments.store.TrajectorySource`."""

    vocab_size = SUDOKU_VOCAB.size
    mask_id = MASK

    def __init__(self, puzzles: Sequence[str]) -> None:
        self.puzzles = tuple(puzzles)
        self.name = f"sudoku-{puzzles_digest(self.puzzles)[:16]}"

    def trajectory(self, index: int, seed: int) -> Sequence[Transition]:
        return _LazyTransitions(solve(self.puzzles[index]))


# -- models and training -------------------------------------------------------------------------------------------
def model_config(kind: str = "ap-mdm", **overrides: Any) -> ModelConfig:
    """The AP-MDM model of ``kind`` (module docstring).

    Examples
    --------
    >>> from machines.neural.model import Transformer
    >>> Transformer(model_config("ap-mdm")).param_count(), Transformer(model_config("ap-mdm-peer")).param_count()
    (801955, 827788)
    """
    base: dict[str, Any] = {"vocab_size": SUDOKU_VOCAB.size, "mask_id": MASK, "d_model": 128, "n_heads": 2,
                            "n_layers": 4}
    if kind == "ap-mdm-peer":
        base |= {"n_heads": 4, "pool": 4, "peer_grid": 3}
    elif kind != "ap-mdm":
        raise SudokuDataError(f"unknown AP-MDM kind {kind!r} (ap-mdm, ap-mdm-peer)")
    base |= overrides
    if "rotary" not in overrides:
        base["rotary"] = standard_rotary(base["d_model"] // base["n_heads"])
    return ModelConfig(**base)


def train_config(**overrides: Any) -> TrainConfig:
    """AdamW at 1e-3 (warm-up 200, cosine to 1e-4), batch 32, clipping 1.0, weight decay 0.01, 20,000 updates
    (the budget stops a run first; the project's choice [I]: the paper's lr 1e-4 / batch 256 / up to 1M steps is far
    beyond a CPU budget)."""
    base: dict[str, Any] = {"steps": 20000, "batch_size": 32, "lr": 1e-3, "warmup": 200, "weight_decay": 0.01,
                            "clip": 1.0, "log_every": 25}
    return TrainConfig(**(base | overrides))


def _halt_rows(store: TransitionStore, js: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.stack([np.asarray(store.final[store.fstart[j]:store.fstart[j + 1]], np.int64) for j in js.tolist()])
    return x, x.copy()


def store_sampler(store: TransitionStore, batch_size: int, *, halt_examples: bool = False) -> Sampler:
    """Uniform batches over the store's transitions with the AP-MDM loss of PAPER.md §3.5(a); with
    ``halt_examples`` each row is, with probability ``n_traj / (n_transitions + n_traj)``, the final state of a
    uniformly drawn trajectory with the no-op target (halting supervised, the [I] model)."""
    n, n_traj = len(store), store.n_trajectories

    def sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Callable[[Outputs], LossResult]]:
        idx = rng.integers(0, n + (n_traj if halt_examples else 0), size=batch_size)
        batch = store.batch(np.where(idx < n, idx, 0))
        halt = idx >= n
        if halt.any():
            hx, hy = _halt_rows(store, idx[halt] - n)
            x, y, ctrl = batch.x.copy(), batch.y.copy(), batch.ctrl.copy()
            x[halt], y[halt], ctrl[halt] = hx, hy, 0
            batch = Batch(x=x, y=y, ctrl=ctrl, valid=batch.valid)
        return batch.x, batch.valid, lambda out: apmdm_objective(out, batch, mask_id=MASK)

    return sample


# -- evaluation ----------------------------------------------------------------------------------------------------
def judge_grid(puzzle: str, grid: np.ndarray, solution: np.ndarray | None) -> str:
    """``"exact"`` (valid and equal to the oracle's solution), ``"valid-but-wrong"`` or ``"invalid"``, by the
    independent validator.

    Examples
    --------
    >>> t = solve("1" + "." * 80)
    >>> judge_grid("1" + "0" * 80, t.solution, t.solution), judge_grid("1" + "0" * 80, t.puzzle, t.solution)
    ('exact', 'invalid')
    """
    g = np.asarray(grid)
    if g.shape != (81,) or ((g < 1) | (g > 9)).any() or solution_problems(parse_puzzle(puzzle), g):
        return "invalid"
    return "exact" if solution is not None and np.array_equal(g, solution) else "valid-but-wrong"


@dataclass(frozen=True, slots=True)
class PuzzleResult:
    """One test puzzle: its outcome (``exact``, ``valid-but-wrong``, ``stuck-at-cap``, ``illegal``: the machine
    rejected a step, e.g. an insert beyond 324 tokens; ``length-changed``: a delete; ``halted-unsolved``), the
    steps taken and the oracle's, whether the run followed the oracle step for step, and the decision type of its
    first deviation (``""`` if none)."""

    outcome: str
    steps: int
    oracle_steps: int
    cap: int
    matched_oracle: bool
    first_deviation: str


class _Divergence:
    """``observe`` hook of the rollout: the first step where the model's next state differs from the sequence-only
    oracle's (:func:`reductions.tasks.sudoku_policy.sudoku_predictor`), per instance, with its decision type."""

    def __init__(self, n: int) -> None:
        self.first: list[str] = [""] * n

    def __call__(self, idx: list[int], xs: list[np.ndarray], preds: list[Prediction]) -> None:
        from reductions.tasks.sudoku_policy import sudoku_predictor

        for i, x, p in zip(idx, xs, preds, strict=True):
            if self.first[i]:
                continue
            try:
                o = sudoku_predictor(x)
            except ReductionError:
                self.first[i] = "unsupported-depth"
                continue
            want = apply_g(x, o.y, o.remask, mask_id=MASK)
            try:
                got = apply_g(x, p.y, p.remask, p.insert, p.delete, mask_id=MASK)
            except (MachineError, ReductionError):
                got = None
            if got is None or not np.array_equal(got, want):
                self.first[i] = decision_type(x, o.y, np.asarray(o.remask))


def _fixed_length(predict: BatchPredictor) -> BatchPredictor:
    """``predict`` on 324-token sequences; a sequence of another length (after a predicted delete: the Sudoku process
    never changes the length) gets a halting prediction, and :func:`evaluate_apmdm` reports ``length-changed``."""

    def wrapped(xs: Sequence[np.ndarray]) -> list[Prediction]:
        ok = [k for k, x in enumerate(xs) if len(x) == CONTEXT]
        got = dict(zip(ok, predict([xs[k] for k in ok]), strict=True)) if ok else {}
        z = np.zeros(0, np.int64)
        return [got[k] if k in got else Prediction(y=z, halt=True) for k in range(len(xs))]

    return wrapped


#: Puzzles per batch of :func:`evaluate_apmdm` (the CI check evaluates the first chunk of the test set).
EVAL_CHUNK = 20


def evaluate_apmdm(predict: BatchPredictor, puzzles: Sequence[str], *, cap_multiple: float = 2.0,
                   divergence: bool = True, on_step: Callable[[int, int], None] | None = None,
                   chunk: int = EVAL_CHUNK) -> dict[str, Any]:
    """Roll ``predict`` out on every puzzle (batched, on the exact machine) and judge the final grids.

    Puzzles are rolled out in consecutive chunks of ``chunk`` (:data:`EVAL_CHUNK`), one batch each, so the first
    ``k * chunk`` results do not depend on how many puzzles follow: the float32 products of a batch can round
    differently with the batch's row count (BLAS picks other kernels for small products), and a prefix evaluation
    (CI's 20 puzzles) must see the same batches as the full one.

    The cap of a puzzle is ``ceil(cap_multiple * oracle steps)`` AP-MDM steps; a run that reaches it is
    ``stuck-at-cap``.  Returns the counts per outcome, exact accuracy, the step ratio (model / oracle) of the exact
    runs, how many followed the oracle exactly, and the first-deviation decision types of the others.

    Notes
    -----
    One model call per batched step (the longest running puzzle sets the number of calls); plus the oracle search
    per puzzle and, with ``divergence``, the sequence-only oracle on every state until the first deviation.
    """
    if chunk < 1:
        raise SudokuDataError(f"chunk must be >= 1, got {chunk}")
    c0 = time.process_time()
    oracle = [solve(p) for p in puzzles]
    caps = [max(1, math.ceil(cap_multiple * o.steps)) for o in oracle]
    div = _Divergence(len(puzzles)) if divergence else None
    starts = [encode_grid(o.puzzle) for o in oracle]
    rolls: list[Any] = []
    with single_thread_blas():
        for lo in range(0, len(starts), chunk):  # fixed chunks: a puzzle's batch-mates do not depend on the count
            hook = None if div is None else (lambda idx, xs, preds, lo=lo: div([i + lo for i in idx], xs, preds))
            rolls += apmdm_rollout(_fixed_length(predict), starts[lo:lo + chunk], vocab=SUDOKU_VOCAB,
                                   max_steps=caps[lo:lo + chunk], max_length=CONTEXT, on_step=on_step, observe=hook)
    results = []
    for k, (p, o, r) in enumerate(zip(puzzles, oracle, rolls, strict=True)):
        if r.final.shape[0] != CONTEXT:
            outcome = "length-changed"
        elif r.halt_reason == "max-steps":
            outcome = "stuck-at-cap"
        elif r.halt_reason == "illegal":
            outcome = "illegal"
        else:
            j = judge_grid(p, decode_values(r.final), o.solution)
            outcome = j if j != "invalid" else "halted-unsolved"
        dev = div.first[k] if div is not None else "?"
        results.append(PuzzleResult(outcome=outcome, steps=r.steps, oracle_steps=o.steps, cap=caps[k],
                                    matched_oracle=div is not None and not dev, first_deviation=dev))
    n = len(results)
    exact = [r for r in results if r.outcome == "exact"]
    ratios = [r.steps / max(r.oracle_steps, 1) for r in exact]
    return {"n": n, "exact": len(exact), "accuracy": round(100.0 * len(exact) / max(n, 1), 2),
            "outcomes": dict(sorted(Counter(r.outcome for r in results).items())),
            "stuck_at_cap": sum(r.outcome == "stuck-at-cap" for r in results), "cap_multiple": cap_multiple,
            "matched_oracle": sum(r.matched_oracle for r in results),
            "first_deviation": dict(sorted(Counter(r.first_deviation for r in results if r.first_deviation).items())),
            "steps_vs_oracle_exact": {"mean": round(float(np.mean(ratios)), 4) if ratios else None,
                                      "max": round(float(np.max(ratios)), 4) if ratios else None},
            "oracle_steps": {"mean": round(float(np.mean([o.steps for o in oracle])), 1) if oracle else 0.0,
                             "max": max((o.steps for o in oracle), default=0)},
            "model_steps_total": sum(r.steps for r in results), "cpu_seconds": round(time.process_time() - c0, 1),
            "per_puzzle": [[r.outcome, r.steps, r.oracle_steps] for r in results]}


def step_accuracy(predict: BatchPredictor, puzzles: Sequence[str], *, stride: int = 1,
                  chunk: int = 256) -> dict[str, Any]:
    """Teacher-forced accuracy on the oracle transitions of ``puzzles`` (every ``stride``-th): the fraction where
    ``g(x_k, prediction) == x_{k+1}`` exactly, overall and per decision type (:func:`decision_type`)."""
    hits: Counter[str] = Counter()
    total: Counter[str] = Counter()
    with single_thread_blas():
        for p in puzzles:
            t = solve(p)
            ks = list(range(0, t.steps, stride))
            for a in range(0, len(ks), chunk):
                part = ks[a:a + chunk]
                preds = predict([t.states[k].astype(np.int64) for k in part])
                for k, pr in zip(part, preds, strict=True):
                    kind = decision_type(t.states[k], t.y[k], t.remask[k])
                    total[kind] += 1
                    try:
                        nxt = apply_g(t.states[k], pr.y, pr.remask, pr.insert, pr.delete, mask_id=MASK)
                    except (MachineError, ReductionError):
                        continue
                    hits[kind] += int(np.array_equal(nxt, t.states[k + 1]))
    n = sum(total.values())
    return {"n": n, "accuracy": round(100.0 * sum(hits.values()) / max(n, 1), 3),
            "per_decision": {d: {"n": total[d], "accuracy": round(100.0 * hits[d] / total[d], 3)}
                             for d in DECISIONS if total[d]}}


def neural_predictor(config: ModelConfig, params: Params) -> NeuralBatchPredictor:
    """The trained model as a batched AP-MDM predictor (float32 inference, micro-batches of 16,384 tokens)."""
    return NeuralBatchPredictor(config=config, params=params)
