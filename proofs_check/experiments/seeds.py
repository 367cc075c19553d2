"""How often a training recipe generalises: train one task under many seeds and evaluate every model.

A single trained model that generalises says little when the training data do not pin the rule down (parity on
length 2, ``docs/experiment_parity.md``); the share of seeds that do is the measurement.  :func:`seed_study` trains
``task`` with its own data and training settings (and an optionally overridden model), checks that each model
reproduces its training transitions, runs it as an AP-MDM at the given lengths and counts the seeds whose every
run is correct.  Every number is a function of the seeds, so the report is reproducible (timings are kept apart).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from machines.neural.config import ModelConfig
from machines.neural.model import Transformer
from machines.neural.predictor import NeuralPredictor
from proofs_check.experiments.evaluate import LengthReport, evaluate, transition_fidelity
from proofs_check.experiments.train import MAX_PARAMS, train_task
from proofs_check.parallel import map_items

__all__ = ["SeedResult", "SeedStudy", "seed_study"]


@dataclass(frozen=True, slots=True)
class SeedResult:
    """One seed: fidelity to the training transitions and the report per length (see :func:`seed_study`).

    Examples
    --------
    >>> from proofs_check.experiments.evaluate import LengthReport
    >>> r = SeedResult(seed=3, fidelity=1.0, reports=(LengthReport(9, 5, 5, 4, 4.0, 4, ()),), seconds=0.1)
    >>> r.generalises, r.to_json()["correct"]
    (True, [5])
    """

    seed: int
    fidelity: float
    reports: tuple[LengthReport, ...]
    seconds: float

    @property
    def generalises(self) -> bool:
        return self.fidelity == 1.0 and all(r.correct == r.count for r in self.reports)

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "fidelity": round(self.fidelity, 6), "generalises": self.generalises,
                "correct": [r.correct for r in self.reports], "steps_max": [r.steps_max for r in self.reports]}


@dataclass(frozen=True, slots=True)
class SeedStudy:
    """All seeds of one recipe (``successes`` of ``len(results)`` generalise); built by :func:`seed_study`, whose
    example shows one.  ``to_json`` leaves the timings out, so the same seeds give the same JSON."""

    task: str
    model: ModelConfig
    n_params: int
    lengths: tuple[int, ...]
    count: int
    eval_seed: int
    results: tuple[SeedResult, ...]

    @property
    def successes(self) -> int:
        return sum(r.generalises for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task, "model": self.model.to_json(), "n_params": self.n_params,
                "lengths": list(self.lengths), "count": self.count, "eval_seed": self.eval_seed,
                "seeds": len(self.results), "successes": self.successes,
                "results": [r.to_json() for r in self.results]}


def _one_seed(task: Any, cfg: ModelConfig, steps: int | None, max_params: int, lengths: tuple[int, ...],
              count: int, eval_seed: int, seed: int) -> SeedResult:
    """Train and evaluate one seed (a pure function of its arguments: a worker process may run it)."""
    t0 = time.perf_counter()
    data = task.transitions(seed=seed)
    res = train_task(task, seed=seed, model=cfg, steps=steps, max_params=max_params, transitions=data)
    pred = NeuralPredictor(config=cfg, params=res.params)
    fid = transition_fidelity(pred, data, mask_id=cfg.mask_id)
    reps = evaluate(task, pred, lengths=lengths, count=count, seed=eval_seed)
    return SeedResult(seed=seed, fidelity=fid, reports=tuple(reps), seconds=time.perf_counter() - t0)


def seed_study(task: Any, seeds: Sequence[int], *, lengths: Sequence[int], count: int, eval_seed: int = 0,
               model: ModelConfig | None = None, steps: int | None = None, max_params: int = MAX_PARAMS,
               on_seed: Callable[[SeedResult], None] | None = None, workers: int = 1) -> SeedStudy:
    """Train ``task`` once per seed and evaluate each model on the same instances (drawn with ``eval_seed``).

    Seed ``S`` gives the model ``powergen train TASK --seed S`` writes (same data, settings and weights).

    Examples
    --------
    >>> from reductions.tasks.parity import ParityTask
    >>> study = seed_study(ParityTask(), [0, 1], lengths=[9], count=5, steps=200)
    >>> study.successes, [r.to_json()["correct"] for r in study.results]
    (2, [[5], [5]])

    Notes
    -----
    ``O(len(seeds) * (training + sum over lengths of count * run))``, spread over ``workers`` processes
    (:func:`proofs_check.parallel.map_items`; each seed is independent, so the study is the same for any
    ``workers``).  Serves the learned experiments (§3.2).
    """
    cfg = model or task.model_config()
    results: list[SeedResult] = []
    one = functools.partial(_one_seed, task, cfg, steps, max_params, tuple(lengths), count, eval_seed)
    for r in map_items(one, [int(s) for s in seeds], workers):
        results.append(r)
        if on_seed is not None:
            on_seed(r)
    return SeedStudy(task=task.name, model=cfg, n_params=Transformer(cfg).param_count(),
                     lengths=tuple(int(n) for n in lengths), count=count, eval_seed=eval_seed, results=tuple(results))
