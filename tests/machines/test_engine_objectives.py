"""The three objectives on one model class: float64 gradient checks through the whole model, an independent value
check, stability on extreme logits, and the masking distribution (machines/neural/objectives.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from machines.neural.config import ModelConfig, standard_rotary
from machines.neural.loss import Batch
from machines.neural.model import Outputs, Transformer
from machines.neural.objectives import (
    MaskedBatch,
    apmdm_objective,
    mask_tokens,
    masked_diffusion_loss,
    next_token_loss,
)

V, MASK = 7, 0


def _model(causal: bool) -> tuple[Transformer, dict[str, np.ndarray]]:
    cfg = ModelConfig(vocab_size=V, mask_id=MASK, d_model=8, n_heads=2, n_layers=2, rotary=standard_rotary(4),
                      causal=causal, init_std=0.3)
    net = Transformer(cfg)
    rng = np.random.default_rng(5)
    params = net.init(rng, np.float64)
    for k in params:  # non-trivial heads (the token head starts at zero)
        params[k] = params[k] + rng.normal(0, 0.2, params[k].shape)
    return net, params


def _batches() -> dict[str, tuple[bool, np.ndarray, np.ndarray, object]]:
    rng = np.random.default_rng(1)
    x0 = rng.integers(1, V, size=(3, 6))
    valid = np.ones((3, 6), bool)
    valid[2, 4:] = False
    # AP-MDM: masks with targets, one mask without (y* = MASK), controls on all positions
    xa = x0.copy()
    xa[0, 1] = xa[1, 3] = xa[2, 0] = xa[0, 4] = MASK
    ya = np.where(xa == MASK, x0, xa)
    ya[0, 4] = MASK
    ctrl = rng.integers(0, 2, size=(3, 6, 3))
    ap = Batch(x=xa, y=ya, ctrl=ctrl, valid=valid)
    mb = mask_tokens(x0, valid, np.ones_like(valid), np.random.default_rng(2), mask_id=MASK)
    lm = np.zeros((3, 6), bool)
    lm[:, 3:] = True
    lm &= valid
    return {"ap-mdm": (False, xa, valid, lambda out: apmdm_objective(out, ap, mask_id=MASK)),
            "mdm": (False, mb.x, valid, lambda out: masked_diffusion_loss(out, mb, mask_id=MASK)),
            "arm": (True, x0, valid, lambda out: next_token_loss(out, x0, lm, mask_id=MASK))}


@pytest.mark.parametrize("objective", ["ap-mdm", "mdm", "arm"])
def test_float64_gradient_check_through_the_model(objective):
    causal, x, valid, loss_fn = _batches()[objective]
    net, params = _model(causal)

    def loss_of(p):
        out, _ = net.forward(p, x, valid)
        return loss_fn(out).loss

    out, cache = net.forward(params, x, valid)
    res = loss_fn(out)
    grads = net.backward(params, res.d_token, res.d_ctrl, cache)
    rng = np.random.default_rng(0)
    h = 1e-6
    checked = 0
    for name in ("tok.w", "b0.attn.qkv.w", "b1.mlp.fc.w", "lnf.g", "head.tok.w", "head.tok.b", "head.ctrl.w"):
        for _ in range(4):
            idx = tuple(int(rng.integers(0, s)) for s in params[name].shape)
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name][idx] += h
            minus[name][idx] -= h
            num = (loss_of(plus) - loss_of(minus)) / (2 * h)
            assert grads[name][idx] == pytest.approx(num, rel=1e-5, abs=1e-8), (name, idx)
            checked += 1
    assert checked == 28
    if objective != "ap-mdm":  # the baselines leave the control head alone
        assert not grads["head.ctrl.w"].any()


def test_values_against_a_plain_python_cross_entropy():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, size=(1, 4, V))
    out = Outputs(logits, np.zeros((1, 4, 3)))
    tokens = np.array([[3, 1, 6, 2]])
    lm = np.array([[False, True, False, True]])

    def ce(row, target):  # softmax over the vocabulary without MASK
        zs = [row[v] for v in range(V) if v != MASK]
        m = max(zs)
        return -(row[target] - m - math.log(sum(math.exp(z - m) for z in zs)))

    want = (ce(logits[0, 0], 1) + ce(logits[0, 2], 2)) / 2
    assert next_token_loss(out, tokens, lm, mask_id=MASK).loss == pytest.approx(want, rel=1e-12)
    mb = MaskedBatch(x=np.array([[MASK, 1, MASK, 2]]), target=tokens, masked=np.array([[True, False, True, False]]),
                     valid=np.ones((1, 4), bool), t=np.array([0.5]))
    want = (ce(logits[0, 0], 3) + ce(logits[0, 2], 6)) / 2
    assert masked_diffusion_loss(out, mb, mask_id=MASK).loss == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("scale", [1e4, 1e30])
def test_losses_are_finite_on_extreme_logits(scale):
    rng = np.random.default_rng(4)
    for dtype in (np.float32, np.float64):
        tok = (rng.choice([-1.0, 1.0], size=(2, 5, V)) * scale).astype(dtype)
        ctrl = (rng.choice([-1.0, 1.0], size=(2, 5, 3)) * scale).astype(dtype)
        out = Outputs(tok, ctrl)
        x = rng.integers(1, V, size=(2, 5))
        valid = np.ones((2, 5), bool)
        xm = x.copy()
        xm[:, ::2] = MASK
        results = [apmdm_objective(out, Batch(x=xm, y=x, ctrl=rng.integers(0, 2, (2, 5, 3)), valid=valid),
                                   mask_id=MASK),
                   masked_diffusion_loss(out, mask_tokens(x, valid, valid, rng, mask_id=MASK), mask_id=MASK),
                   next_token_loss(out, x, valid, mask_id=MASK)]
        for r in results:
            assert math.isfinite(r.loss)
            assert np.isfinite(r.d_token).all() and np.isfinite(r.d_ctrl).all()
            assert np.abs(r.d_token).max() <= 1.0 and np.abs(r.d_ctrl).max() <= 1.0


def test_mask_tokens_respects_maskable_and_padding_and_ratio():
    rng = np.random.default_rng(0)
    B, L = 4000, 20
    x0 = rng.integers(1, V, size=(B, L))
    valid = np.ones((B, L), bool)
    valid[:, 15:] = False
    maskable = np.ones((B, L), bool)
    maskable[:, :5] = False  # a prompt that is never masked
    mb = mask_tokens(x0, valid, maskable, rng, mask_id=MASK)
    assert not mb.masked[:, :5].any() and not mb.masked[:, 15:].any()
    assert mb.masked.any(axis=1).all()  # every row has a target
    assert np.array_equal(mb.x[~mb.masked], x0[~mb.masked]) and (mb.x[mb.masked] == MASK).all()
    # the masked fraction of a row follows its ratio t: E[frac] = E[t] ~ 0.5, and rows with small t mask little
    frac = mb.masked[:, 5:15].mean(axis=1)
    assert abs(frac.mean() - 0.5) < 0.02
    assert frac[mb.t < 0.2].mean() < 0.2 < frac[mb.t > 0.8].mean()
