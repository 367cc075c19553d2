"""Theorem 2's first fact: every MDM run has at most S productive steps (decoded tokens are frozen, no empty step)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from machines.errors import DisciplineViolation
from machines.paradigms import MDM
from machines.predictor import Prediction, Predictor
from machines.vocab import simple_vocabulary
from reductions.mdm_to_serial import TransformerMDMPredictor, model_config, random_params

VOCAB = simple_vocabulary(["a", "b", "c"])


def _digest_rng(x: np.ndarray, salt: int) -> np.random.Generator:
    h = hashlib.blake2b(np.asarray(x, dtype=np.int64).tobytes() + salt.to_bytes(8, "little"), digest_size=8)
    return np.random.default_rng(int.from_bytes(h.digest(), "little"))


def random_mdm_predictor(salt: int, halt_prob: float) -> Predictor:
    """Any schedule: a random non-empty subset of the masks (pure in x), random tokens, sometimes a halt."""

    def predictor(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        r = _digest_rng(x, salt)
        if r.random() < halt_prob:
            return Prediction(y=x.copy(), halt=True)
        masks = np.flatnonzero(x == VOCAB.mask_id)
        k = int(r.integers(1, masks.size + 1))
        unmask = np.zeros(x.size, dtype=bool)
        unmask[r.choice(masks, size=k, replace=False)] = True
        return Prediction(y=r.integers(1, VOCAB.size, x.size), unmask=unmask)

    return predictor


@given(S=st.integers(1, 60), density=st.floats(0, 1), salt=st.integers(0, 10**6), halt=st.sampled_from([0.0, 0.1]))
def test_every_run_has_at_most_S_productive_steps(S: int, density: float, salt: int, halt: float) -> None:
    g = np.random.default_rng(salt)
    x0 = np.where(g.random(S) < density, VOCAB.mask_id, g.integers(1, VOCAB.size, S)).astype(np.int64)
    res = MDM(vocab=VOCAB, predictor=random_mdm_predictor(salt, halt)).run(x0, keep_records=True)
    masks = int((x0 == VOCAB.mask_id).sum())
    assert res.records is not None
    assert res.counters.steps == len(res.records) <= masks <= S
    for rec in res.records:
        decoded = rec.x != VOCAB.mask_id
        assert np.array_equal(rec.x_next[decoded], rec.x[decoded])  # frozen
        assert int((rec.x_next != rec.x).sum()) >= 1  # productive
    if res.halt_reason == "no-masks":
        assert res.counters.unmasked == masks


@given(S=st.integers(2, 24), seed=st.integers(0, 10**6))
def test_transformer_mdm_with_any_schedule(S: int, seed: int) -> None:
    cfg = model_config(S, vocab_size=VOCAB.size)
    inner = TransformerMDMPredictor(cfg=cfg, params=random_params(cfg, seed), k=S)

    def schedule(x: np.ndarray, rng: np.random.Generator) -> Prediction:  # k drawn per step, pure in x
        k = int(_digest_rng(x, seed).integers(1, 4))
        p = inner(x, rng)
        assert p.unmask is not None
        best, conf = inner.decide(x)
        order = np.lexsort((np.arange(S), -np.where(x == 0, conf, -np.inf)))
        unmask = np.zeros(S, dtype=bool)
        unmask[order[:min(k, int((x == 0).sum()))]] = True
        return Prediction(y=p.y, unmask=unmask)

    x0 = np.zeros(S, dtype=np.int64)
    res = MDM(vocab=VOCAB, predictor=schedule).run(x0)
    assert res.halt_reason == "no-masks" and res.counters.steps <= S


def test_an_unproductive_or_rewriting_step_is_refused() -> None:
    x0 = np.array([1, 0, 0])

    def nothing(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        return Prediction(y=x.copy(), unmask=np.zeros(x.size, dtype=bool))

    def rewrite(x: np.ndarray, rng: np.random.Generator) -> Prediction:
        return Prediction(y=np.full(x.size, 2), unmask=np.ones(x.size, dtype=bool))

    for bad in (nothing, rewrite):
        with pytest.raises(DisciplineViolation):
            MDM(vocab=VOCAB, predictor=bad).run(x0)
