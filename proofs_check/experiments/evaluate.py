"""Evaluate a predictor on a task: run the AP-MDM machine from each start sequence to a halt, compare the final state.

The predictor (oracle or :class:`~machines.neural.predictor.NeuralPredictor`) is plugged into
:class:`machines.paradigms.APMDM` exactly as any other predictor; the run stops at a fixed point (EOS halting is off:
the parity prompts already hold EOS) or fails at ``task.max_steps(length)`` steps, which counts as wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from machines.batch import run_many
from machines.errors import LimitExceeded, MachineError
from machines.paradigms import APMDM
from machines.predictor import Predictor, Transition
from machines.transition import apply_g

__all__ = ["LengthReport", "evaluate", "transition_fidelity"]


@dataclass(frozen=True, slots=True)
class LengthReport:
    """Accuracy and step counts of the runs at one input length."""

    length: int
    count: int
    correct: int
    steps_min: int
    steps_mean: float
    steps_max: int
    failures: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else 1.0

    def to_json(self) -> dict[str, Any]:
        return {"length": self.length, "count": self.count, "correct": self.correct,
                "accuracy": round(self.accuracy, 6), "steps_min": self.steps_min,
                "steps_mean": round(self.steps_mean, 3), "steps_max": self.steps_max,
                "failures": list(self.failures[:3])}


def evaluate(task: Any, predictor: Predictor, *, lengths: Sequence[int], count: int, seed: int = 0,
             on_run: Callable[[], None] | None = None) -> list[LengthReport]:
    """Run ``count`` random instances per length (drawn from ``default_rng([seed, length])``).

    Examples
    --------
    >>> from reductions.tasks.parity import ParityTask, oracle
    >>> [r.accuracy for r in evaluate(ParityTask(), oracle, lengths=[5, 9], count=4)]
    [1.0, 1.0]

    Notes
    -----
    ``O(sum over runs of steps * (L + predictor cost))``.  Serves the learned experiments (PAPER.md §3.2).
    """
    reports = []
    for n in lengths:
        rng = np.random.default_rng([seed, n])
        machine = APMDM(vocab=task.vocab, predictor=predictor, max_steps=task.max_steps(n), halt_on_eos=False)
        instances = task.instances(n, count, rng)
        # all instances of a length advance in lock step (machines.batch): the same results as machine.run on each
        results = run_many(machine, [x0 for x0, _ in instances], seeds=range(len(instances)),
                           on_done=None if on_run is None else lambda _k: on_run())
        correct, steps, failures = 0, [], []
        for k, ((_, expected), res) in enumerate(zip(instances, results, strict=True)):
            if isinstance(res, LimitExceeded):
                failures.append(f"instance {k}: {res}")
                steps.append(task.max_steps(n))
            elif isinstance(res, MachineError):
                failures.append(f"instance {k}: {type(res).__name__}: {res}")
                steps.append(0)
            else:
                steps.append(res.counters.steps)
                if np.array_equal(res.final, expected):
                    correct += 1
                else:
                    failures.append(f"instance {k}: final {task.vocab.decode(res.final[:8])}... after "
                                    f"{res.counters.steps} steps")
        s = np.array(steps) if steps else np.zeros(1, dtype=np.int64)
        reports.append(LengthReport(length=int(n), count=count, correct=correct, steps_min=int(s.min()),
                                    steps_mean=float(s.mean()), steps_max=int(s.max()), failures=tuple(failures)))
    return reports


def transition_fidelity(predictor: Predictor, transitions: Sequence[Transition], *, mask_id: int) -> float:
    """Fraction of training transitions whose ``x_{k+1}`` the predictor reproduces exactly through ``g``."""
    if not transitions:
        return 1.0
    rng = np.random.default_rng(0)
    hits = 0
    for t in transitions:
        p = predictor(np.asarray(t.x), rng)
        got = apply_g(t.x, p.y, p.remask, p.insert, p.delete, mask_id=mask_id)
        hits += bool(np.array_equal(got, t.x_next))
    return hits / len(transitions)
