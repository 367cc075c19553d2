"""Benchmark (off by default; ``-m benchmark``): inference on one long sequence, the blocked ``O(L * block)``
forward of the parity model beside the dense ``O(L^2)`` one.

The training step beside PyTorch is measured by ``tests/machines/test_neural_torch_step.py`` (in the separate
benchmark environment of ``scripts/bench_env.sh``).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from machines.neural.model import Transformer
from reductions.tasks.parity import ParityTask

REPEATS = 5


def _timed(f) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


@pytest.mark.benchmark
def test_blocked_forward_vs_dense() -> None:
    """Inference on one long sequence: the O(L * block) blocked forward beside the dense O(L^2) one (same outputs),
    for the parity model, and the blocked forward alone at 10,000 and 100,000 tokens."""
    from machines.neural.predictor import NeuralPredictor

    cfg = ParityTask().model_config()
    params = Transformer(cfg).init(np.random.default_rng(0), np.float64)
    pred = NeuralPredictor(config=cfg, params=params)
    net = pred.net
    rows = []
    rng = np.random.default_rng(1)
    for L in (1024, 4096, 10_000, 100_000):
        x = rng.integers(0, cfg.vocab_size, size=(1, L))
        valid = np.ones((1, L), dtype=bool)
        fast = float(np.median([_timed(lambda x=x, valid=valid: net.forward(pred.params, x, valid, local=True))
                                for _ in range(REPEATS)]))
        row: dict[str, object] = {"length": L, "blocked_s": round(fast, 6)}
        if L <= 4096:
            dense = float(np.median([_timed(lambda x=x, valid=valid: net.forward(pred.params, x, valid))
                                     for _ in range(REPEATS)]))
            a, _ = net.forward(pred.params, x, valid)
            b, _ = net.forward(pred.params, x, valid, local=True)
            assert np.allclose(a.ctrl, b.ctrl, atol=1e-10) and np.allclose(a.token, b.token, atol=1e-10)
            row |= {"dense_s": round(dense, 6), "dense_over_blocked": round(dense / fast, 1)}
        rows.append(row)
    print(json.dumps(rows, indent=1))
