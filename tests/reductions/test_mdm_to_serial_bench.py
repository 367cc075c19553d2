"""Benchmark (off by default; ``-m benchmark``): one forward pass, serial counting interpreter vs numpy model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from machines.neural.config import ModelConfig
from machines.neural.layers import Params
from machines.neural.model import Transformer
from reductions.mdm_to_serial import model_config, random_params, start_sequence
from reductions.serial_transformer import ALU, forward_counts, serial_logits

S = 32


@pytest.fixture(scope="module")
def setup() -> tuple[ModelConfig, Params, np.ndarray]:
    cfg = model_config(S)
    params = random_params(cfg, 0)
    return cfg, params, start_sequence(S, cfg.vocab_size, 0)


@pytest.mark.benchmark(group="thm2-forward-S32")
def test_bench_serial_interpreter(benchmark: Any, setup: tuple[ModelConfig, Params, np.ndarray]) -> None:
    cfg, params, x = setup
    lists = {k: v.tolist() for k, v in params.items()}
    benchmark(lambda: serial_logits(ALU(), cfg, lists, x.tolist()))
    benchmark.extra_info["ops"] = forward_counts(S, cfg).total


@pytest.mark.benchmark(group="thm2-forward-S32")
def test_bench_numpy_forward(benchmark: Any, setup: tuple[ModelConfig, Params, np.ndarray]) -> None:
    cfg, params, x = setup
    net = Transformer(cfg)
    valid = np.ones((1, S), dtype=bool)
    benchmark(lambda: net.forward(params, x[None, :], valid))
