"""Theorem 2: the counting serial interpreter against the numpy Transformer and the closed-form count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.neural.config import ModelConfig, standard_rotary
from machines.neural.model import Transformer
from machines.paradigms import MDM
from machines.vocab import simple_vocabulary
from reductions.errors import UnsupportedProgram
from reductions.mdm_to_serial import (
    THM2_VOCAB,
    TransformerMDMPredictor,
    bound_constant,
    model_config,
    random_params,
    serial_decode,
    serial_ops,
    start_sequence,
    width_for,
)
from reductions.serial_transformer import ALU, OpCounts, forward_counts, serial_logits


@st.composite
def configs(draw: st.DrawFn) -> ModelConfig:
    heads = draw(st.integers(1, 3))
    dh = draw(st.integers(1, 3))
    rotary = draw(st.booleans()) and dh % 2 == 0
    V = draw(st.integers(2, 6))
    return ModelConfig(vocab_size=V, mask_id=draw(st.integers(0, V - 1)), d_model=heads * dh, n_heads=heads,
                       n_layers=draw(st.integers(1, 2)), d_mlp=draw(st.one_of(st.none(), st.integers(1, 6))),
                       rel_clip=draw(st.integers(0, 3)), rotary=standard_rotary(dh) if rotary else None)


@given(cfg=configs(), S=st.integers(1, 7), seed=st.integers(0, 10**6))
def test_interpreter_count_equals_formula_and_logits_equal_numpy(cfg: ModelConfig, S: int, seed: int) -> None:
    params = random_params(cfg, seed)
    x = np.random.default_rng(seed).integers(0, cfg.vocab_size, S)
    alu = ALU()
    ser = np.array(serial_logits(alu, cfg, params, x.tolist()))
    assert alu.counts() == forward_counts(S, cfg)
    vec = Transformer(cfg).forward(params, x[None, :], np.ones((1, S), dtype=bool))[0].token[0]
    np.testing.assert_allclose(ser, vec, rtol=1e-10, atol=1e-10)


@given(cfg=configs(), S=st.integers(1, 9), k=st.integers(1, 4), prompt=st.integers(0, 9), seed=st.integers(0, 10**6))
def test_serial_decode_equals_machine_and_formula(cfg: ModelConfig, S: int, k: int, prompt: int, seed: int) -> None:
    cfg = ModelConfig(**{**cfg.to_json(), "mask_id": 0, "rotary": cfg.rotary})
    vocab = simple_vocabulary([f"t{i}" for i in range(cfg.vocab_size - 1)])
    params = random_params(cfg, seed)
    x0 = start_sequence(S, cfg.vocab_size, seed, prompt=min(prompt, S))
    res = MDM(vocab=vocab, predictor=TransformerMDMPredictor(cfg=cfg, params=params, k=k)).run(x0)
    run = serial_decode(cfg, params, x0, k=k)
    assert run.final == tuple(int(t) for t in res.final)
    assert run.steps == res.counters.steps == -(-(S - min(prompt, S)) // k)
    assert run.counts == serial_ops(S, cfg, run.steps)


def test_default_configs_agree_at_s32() -> None:
    cfg = model_config(32)
    params = random_params(cfg, 7)
    x0 = start_sequence(32, cfg.vocab_size, 7)
    res = MDM(vocab=THM2_VOCAB, predictor=TransformerMDMPredictor(cfg=cfg, params=params, k=3)).run(x0)
    run = serial_decode(cfg, params, x0, k=3)
    assert run.final == tuple(int(t) for t in res.final) and run.counts == serial_ops(32, cfg, run.steps)
    assert run.min_token_gap > 1e-9 and run.min_choice_gap > 1e-9  # far above float64 rounding


def test_width_is_logarithmic() -> None:
    for S in [2, 3, 4, 5, 31, 32, 33, 1000, 2**20]:
        for H in (1, 2, 3):
            d = width_for(S, H)
            assert d % (2 * H) == 0 and math.log2(S) <= d < math.log2(S) + 2 * H


@pytest.mark.parametrize("kw", [{}, {"layers": 1, "heads": 1, "rel": False, "rotary": False}, {"vocab_size": 9}])
def test_bound_constant_holds_on_the_formula(kw: dict[str, int | bool]) -> None:
    c = bound_constant(**kw)  # type: ignore[arg-type]
    layers, heads = int(kw.get("layers", 2)), int(kw.get("heads", 2))
    for S in list(range(4, 70)) + [2**j for j in range(7, 16)]:
        cfg = model_config(S, layers=layers, heads=heads, vocab_size=int(kw.get("vocab_size", 5)),
                           rel_clip=2 if kw.get("rel", True) else 0, rotary=bool(kw.get("rotary", True)))
        ops = serial_ops(S, cfg, S).total  # steps <= S: the worst case
        assert ops <= c * S**3 * math.log2(S)
    assert bound_constant(s0=64, **kw) <= c  # type: ignore[arg-type]


def test_unsupported_configurations_are_refused() -> None:
    cfg = ModelConfig(vocab_size=3, mask_id=0, d_model=4, window=1)
    with pytest.raises(UnsupportedProgram):
        serial_logits(ALU(), cfg, random_params(cfg, 0), [1, 2])
    with pytest.raises(UnsupportedProgram):
        TransformerMDMPredictor(cfg=cfg, params=random_params(cfg, 0))


def test_predictor_is_a_pure_function_of_the_sequence() -> None:
    cfg = model_config(12)
    params = random_params(cfg, 3)
    xs = [start_sequence(12, 5, s) for s in range(5)]
    first = [TransformerMDMPredictor(cfg=cfg, params=params, k=2)(x, np.random.default_rng(0)) for x in xs]
    fresh = TransformerMDMPredictor(cfg=cfg, params=params, k=2)
    for i in (4, 1, 3, 0, 2):
        p = fresh(xs[i].copy(), np.random.default_rng(i + 50))
        assert np.array_equal(p.y, first[i].y) and np.array_equal(np.asarray(p.unmask), np.asarray(first[i].unmask))


def test_opcounts_arithmetic() -> None:
    a = OpCounts(add=1, cmp=2)
    assert (a + a).to_json()["total"] == 6 and a.times(3) == OpCounts(add=3, cmp=6)
