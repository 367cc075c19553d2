"""Where an AP-MDM step of the Sudoku process spends its CPU time (issue 17): predictor, discipline check, ``g``.

Runs the AI Escargot search five times on :class:`machines.paradigms.APMDM` with the sequence-only predictor and
times each part with ``time.process_time`` (the timers add about 2 us per call to every part).

Usage: ``.venv/bin/python scripts/bench_sudoku_step.py``
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import machines.discipline as disc
import machines.paradigms as par
from machines.paradigms import APMDM
from machines.predictor import Prediction
from reductions.tasks.sudoku import solve
from reductions.tasks.sudoku_grid import SUDOKU_VOCAB, famous_puzzles
from reductions.tasks.sudoku_policy import sudoku_predictor


def main() -> None:
    esc = next(g for k, g in famous_puzzles() if "scargot" in k)
    traj = solve(esc)
    acc = {"pred": 0.0, "adv": 0.0, "g": 0.0}
    orig_adv, orig_g = par.advance, disc.apply_g

    def pred(x: np.ndarray, rng: Any) -> Prediction:
        s = time.process_time()
        r = sudoku_predictor(x)
        acc["pred"] += time.process_time() - s
        return r

    def adv(*a: Any, **k: Any) -> Any:
        s = time.process_time()
        r = orig_adv(*a, **k)
        acc["adv"] += time.process_time() - s
        return r

    def g(*a: Any, **k: Any) -> Any:
        s = time.process_time()
        r = orig_g(*a, **k)
        acc["g"] += time.process_time() - s
        return r

    par.advance, disc.apply_g = adv, g  # type: ignore[assignment]
    try:
        machine = APMDM(vocab=SUDOKU_VOCAB, predictor=pred, max_steps=10**6)
        start = time.process_time()
        steps = 0
        for _ in range(5):
            steps += machine.run(traj.states[0].astype(np.int64)).counters.steps
        total = time.process_time() - start
    finally:
        par.advance, disc.apply_g = orig_adv, orig_g  # type: ignore[assignment]
    print(f"steps {steps}: {total / steps * 1e6:.0f} us per step; predictor {acc['pred'] / total:.0%}, "
          f"discipline check {(acc['adv'] - acc['g']) / total:.0%}, g {acc['g'] / total:.0%}")


if __name__ == "__main__":
    main()
