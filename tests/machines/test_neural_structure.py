"""Peer attention and pooled cell tokens (machines/neural/structure.py): float64 gradient checks and the definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_neural_layers import bounded, grad_error, numeric, spread_rows  # type: ignore[import-not-found]
from test_neural_model import LN_MIN_VAR, layer_norm_variances, random_batch  # type: ignore[import-not-found]

from machines.neural.config import ModelConfig, NeuralConfigError, override, standard_rotary
from machines.neural.loss import apmdm_loss
from machines.neural.model import Transformer
from machines.neural.structure import peer_matrix


def plain_peers(box: int) -> np.ndarray:
    """Peers by the definition, cell by cell (rows, columns, boxes as Python sets)."""
    side = box * box
    n = side * side
    m = np.zeros((n, n), bool)
    for i in range(n):
        for j in range(n):
            ri, ci, rj, cj = divmod(i, side) + divmod(j, side)
            m[i, j] = ri == rj or ci == cj or (ri // box, ci // box) == (rj // box, cj // box)
    return m


@pytest.mark.parametrize("box", [1, 2, 3])
def test_peer_matrix_is_the_definition(box: int) -> None:
    m = peer_matrix(box ** 4, box)
    assert np.array_equal(m, plain_peers(box))
    if box == 3:
        assert set(m.sum(axis=1).tolist()) == {21}  # 8 in the row, 8 in the column, 4 more in the box, itself
    with pytest.raises(NeuralConfigError, match="needs"):
        peer_matrix(box ** 4 + 1, box)


@settings(max_examples=4, deadline=None)
@given(pool=st.sampled_from([1, 2, 3]), peer=st.booleans(), rot=st.booleans(), rel=st.integers(0, 2),
       seed=st.integers(0, 2**16))
def test_structured_model_gradient(pool: int, peer: bool, rot: bool, rel: int, seed: int) -> None:
    """The analytic gradient of a pooled and/or peer model against float64 central differences (the same step,
    tolerance and bounded examples as tests/machines/test_neural_model.py::test_whole_model_gradient)."""
    V, d, heads, P = 4, 4, 2, 16  # 16 positions = a 4x4 grid of 2x2 boxes
    cfg = ModelConfig(vocab_size=V, mask_id=1, d_model=d, n_heads=heads, n_layers=2, d_mlp=3, rel_clip=rel,
                      rotary=standard_rotary(2, 3.0) if rot else None, pool=pool, peer_grid=2 if peer else None)
    rng = np.random.default_rng(seed)
    net = Transformer(cfg)
    params = net.init(rng, np.float64)
    for k, a in params.items():
        fan_in = a.shape[0] if a.ndim == 2 and k != "tok.w" else 1
        params[k] = bounded(rng, *a.shape, fan_in=fan_in, base=1.0 if k.endswith(".g") else 0.0)
    params["tok.w"] = spread_rows(rng, pool * V, d) / pool
    batch = random_batch(rng, 2, P * pool, V, cfg.mask_id)
    batch = type(batch)(x=batch.x, y=batch.y, ctrl=batch.ctrl, valid=np.ones_like(batch.valid))

    def loss() -> float:
        out, _ = net.forward(params, batch.x, batch.valid)
        return apmdm_loss(out, batch, mask_id=cfg.mask_id).loss

    out, cache = net.forward(params, batch.x, batch.valid)
    assert out.token.shape == (2, P * pool, V) and out.ctrl.shape == (2, P * pool, 3)
    assume(layer_norm_variances(cache).min() >= LN_MIN_VAR)
    res = apmdm_loss(out, batch, mask_id=cfg.mask_id)
    grads = net.backward(params, res.d_token, res.d_ctrl, cache)
    assert list(grads) == list(params)
    for k in params:
        assert grads[k].shape == params[k].shape
        err = grad_error(grads[k], *numeric(loss, params[k]), 1.0 + abs(res.loss))
        assert err < 1, (k, err)


def test_one_layer_peer_model_ignores_non_peers() -> None:
    """With one block, a cell's outputs depend only on its peers' tokens: change a non-peer cell, nothing moves;
    change a peer cell, the outputs move."""
    cfg = ModelConfig(vocab_size=6, mask_id=0, d_model=8, n_heads=2, n_layers=1, pool=2, peer_grid=2,
                      rotary=standard_rotary(4))
    net = Transformer(cfg)
    params = net.init(np.random.default_rng(1), np.float64)
    params["head.tok.w"] = np.random.default_rng(2).normal(size=params["head.tok.w"].shape)
    x = np.random.default_rng(3).integers(1, 6, size=(1, 32))
    ok = np.ones((1, 32), bool)
    base, _ = net.forward(params, x, ok)
    cell0 = slice(0, 2)  # cell 0 = (row 0, col 0); cell 15 = (row 3, col 3) is no peer of it, cell 5 = (1, 1) is
    far = x.copy()
    far[0, 30:32] = (far[0, 30:32] % 5) + 1
    near = x.copy()
    near[0, 10:12] = (near[0, 10:12] % 5) + 1
    assert np.array_equal(net.forward(params, far, ok)[0].token[0, cell0], base.token[0, cell0])
    assert not np.allclose(net.forward(params, near, ok)[0].token[0, cell0], base.token[0, cell0])


def test_pool_one_is_the_plain_model_and_defaults_are_off() -> None:
    cfg = ModelConfig(vocab_size=5, mask_id=0, d_model=4)
    assert cfg.pool == 1 and cfg.peer_grid is None
    assert ModelConfig.from_json({k: v for k, v in cfg.to_json().items() if k not in ("pool", "peer_grid")}) == cfg
    assert Transformer(ModelConfig(vocab_size=5, mask_id=0, d_model=4, pool=4)).param_count() == \
        Transformer(cfg).param_count() + 3 * 5 * 4 + 3 * (4 * 5 + 5) + 3 * (4 * 3 + 3)


def test_config_errors() -> None:
    with pytest.raises(NeuralConfigError, match="pool must be"):
        ModelConfig(vocab_size=5, mask_id=0, pool=0)
    with pytest.raises(NeuralConfigError, match="peer_grid cannot"):
        ModelConfig(vocab_size=5, mask_id=0, peer_grid=3, window=2)
    assert override(ModelConfig(vocab_size=5, mask_id=0), ["pool=4", "peer_grid=3"]).peer_grid == 3
    net = Transformer(ModelConfig(vocab_size=5, mask_id=0, d_model=4, pool=4))
    with pytest.raises(NeuralConfigError, match="multiple of 4"):
        net.forward(net.init(np.random.default_rng(0)), np.zeros((1, 6), np.int64), np.ones((1, 6), bool))
