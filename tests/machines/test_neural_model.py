"""The whole numpy Transformer: gradient of the §3.5(a) loss against float64 central differences, the banded,
blocked and table forms against the dense forward, the loss and the optimiser against plain references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_neural_layers import bounded, grad_error, numeric, spread_rows  # type: ignore[import-not-found]

from machines.neural.attention import Attention
from machines.neural.config import ModelConfig, NeuralConfigError, TrainConfig, parity_rotary, standard_rotary
from machines.neural.layers import LayerNorm
from machines.neural.loss import Batch, apmdm_loss
from machines.neural.model import Transformer
from machines.neural.optim import AdamW, clip_by_global_norm
from machines.neural.predictor import NeuralPredictor, WindowTable, table_supported


def random_batch(rng: np.random.Generator, B: int, L: int, V: int, mask_id: int) -> Batch:
    x = rng.integers(0, V, size=(B, L))
    x[rng.random((B, L)) < 0.4] = mask_id
    y = rng.integers(0, V, size=(B, L))
    ctrl = rng.integers(0, 2, size=(B, L, 3))
    valid = np.ones((B, L), dtype=bool)
    for b in range(B):
        valid[b, rng.integers(1, L + 1):] = False
    return Batch(x=x, y=y, ctrl=ctrl, valid=valid)


GRAD_EXAMPLES = max(3, settings().max_examples // 3)  # a third of the profile's examples: each costs ~300 forwards
LN_MIN_VAR = 0.01  # a layer norm's input variance must be 1000 times its eps (1e-5): well-conditioned examples only


def layer_norm_variances(cache: object) -> np.ndarray:
    """The input variance of every layer norm of a forward pass, read from its cache (``rstd = 1/sqrt(var + eps)``)."""
    _, blocks, cf, _, _ = cache  # type: ignore[misc]
    rstds = [c[1] for c1, _, c3, _ in blocks for c in (c1, c3)] + [cf[1]]
    return np.concatenate([(1.0 / r.ravel() ** 2) - LayerNorm.eps for r in rstds])


@settings(max_examples=GRAD_EXAMPLES)
@given(L=st.integers(1, 5), B=st.integers(1, 3), layers=st.integers(1, 2), heads=st.sampled_from([1, 2]),
       local=st.sampled_from([None, ("window", 1), ("block", 1), ("block", 2)]), rel=st.integers(0, 2),
       rot=st.booleans(), glob=st.booleans(), seed=st.integers(0, 2**16))
def test_whole_model_gradient(L: int, B: int, layers: int, heads: int, local: tuple[str, int] | None, rel: int,
                              rot: bool, glob: bool, seed: int) -> None:
    """The analytic gradient of the loss against central differences, with the step, tolerance and bounded
    examples of tests/machines/test_neural_layers.py (stable by construction; see that module's docstring)."""
    V, d = 4, 2 * heads
    cfg = ModelConfig(vocab_size=V, mask_id=1, d_model=d, n_heads=heads, n_layers=layers, d_mlp=3,
                      **({} if local is None else {local[0]: local[1]}), rel_clip=rel,
                      rotary=standard_rotary(2, 3.0) if rot else None, global_first=glob)
    rng = np.random.default_rng(seed)
    net = Transformer(cfg)
    params = net.init(rng, np.float64)
    for k, a in params.items():  # bounded weights away from their special initial values (gains around 1)
        fan_in = a.shape[0] if a.ndim == 2 and k != "tok.w" else 1
        params[k] = bounded(rng, *a.shape, fan_in=fan_in, base=1.0 if k.endswith(".g") else 0.0)
    params["tok.w"] = spread_rows(rng, V, d)  # the first layer norm's inputs are well spread by construction
    batch = random_batch(rng, B, L, V, cfg.mask_id)

    def loss() -> float:
        out, _ = net.forward(params, batch.x, batch.valid)
        return apmdm_loss(out, batch, mask_id=cfg.mask_id).loss

    out, cache = net.forward(params, batch.x, batch.valid)
    assume(layer_norm_variances(cache).min() >= LN_MIN_VAR)  # later layer norms: reject the ill-conditioned rest
    res = apmdm_loss(out, batch, mask_id=cfg.mask_id)
    grads = net.backward(params, res.d_token, res.d_ctrl, cache)
    assert list(grads) == list(params)
    scale = 1.0 + abs(res.loss)  # the loss is a mean of non-negative terms
    for k in params:
        err = grad_error(grads[k], *numeric(loss, params[k]), scale)
        assert err < 1, (k, err)


def test_loss_matches_plain_reference() -> None:
    rng = np.random.default_rng(3)
    V, M = 5, 2
    batch = random_batch(rng, 3, 4, V, M)
    tok = rng.normal(size=(3, 4, V))
    ctrl = rng.normal(size=(3, 4, 3))
    from machines.neural.model import Outputs

    res = apmdm_loss(Outputs(tok, ctrl), batch, mask_id=M)
    ce, n_ce, bce = [], 0, [0.0, 0.0, 0.0]
    n_valid = 0
    for b in range(3):
        for i in range(4):
            if not batch.valid[b, i]:
                continue
            n_valid += 1
            if batch.x[b, i] == M and batch.y[b, i] != M:
                z = [tok[b, i, v] for v in range(V) if v != M]
                ids = [v for v in range(V) if v != M]
                lse = np.log(sum(np.exp(t) for t in z))
                ce.append(lse - tok[b, i, batch.y[b, i]])
                n_ce += 1
                assert ids
            for k in range(3):
                p = 1 / (1 + np.exp(-ctrl[b, i, k]))
                t = batch.ctrl[b, i, k]
                bce[k] += -(t * np.log(p) + (1 - t) * np.log(1 - p))
    expect = (sum(ce) / n_ce if n_ce else 0.0) + sum(v / n_valid for v in bce)
    assert abs(res.loss - expect) < 1e-9


def test_adamw_matches_formula_and_clipping() -> None:
    cfg = TrainConfig(lr=0.1, warmup=2, weight_decay=0.5, clip=1.0)
    opt = AdamW(cfg)
    p = {"w": np.array([[1.0, -2.0]]), "b": np.array([0.5])}
    g = {"w": np.array([[3.0, 4.0]]), "b": np.array([0.0])}
    gc, norm = clip_by_global_norm(g, 1.0)
    assert norm == 5.0
    opt.update(p, g)
    lr = 0.05  # warm-up: step 1 of 2
    m = 0.1 * gc["w"]
    v = 0.001 * gc["w"] ** 2
    w = np.array([[1.0, -2.0]]) * (1 - lr * 0.5) - lr * (m / 0.1) / (np.sqrt(v / 0.001) + cfg.eps)
    assert np.allclose(p["w"], w, rtol=0, atol=1e-12)
    assert np.allclose(p["b"], [0.5])  # zero gradient, no decay on vectors


def check_local_equals_dense(cfg: ModelConfig, seed: int, L: int) -> None:
    """The O(L) forward (banded or blocked) of ``cfg`` equals the dense forward at every valid position of a random
    batch with right padding and with holes anywhere (position 0 included)."""
    rng = np.random.default_rng(seed)
    net = Transformer(cfg)
    params = net.init(rng, np.float64)
    for k in params:
        if k.endswith(".rel"):
            params[k] = rng.normal(size=params[k].shape)
    x = rng.integers(0, cfg.vocab_size, size=(3, L))
    valid = np.ones((3, L), dtype=bool)
    valid[1, L // 2 + 1:] = False  # right padding
    valid[2] = rng.random(L) < 0.7  # holes anywhere, position 0 included
    dense, _ = net.forward(params, x, valid)
    fast, _ = net.forward(params, x, valid, local=True)
    ok = valid[..., None]
    assert np.allclose(np.where(ok, dense.token, 0), np.where(ok, fast.token, 0), rtol=0, atol=1e-10)
    assert np.allclose(np.where(ok, dense.ctrl, 0), np.where(ok, fast.ctrl, 0), rtol=0, atol=1e-10)


@given(L=st.integers(1, 40), seed=st.integers(0, 2**16), glob=st.booleans(), window=st.integers(0, 3),
       layers=st.integers(1, 2), causal=st.booleans())
def test_banded_equals_dense(L: int, seed: int, glob: bool, window: int, layers: int, causal: bool) -> None:
    cfg = ModelConfig(vocab_size=5, mask_id=2, d_model=8, n_heads=2, n_layers=layers, window=window, rel_clip=3,
                      rotary=standard_rotary(4), global_first=glob, causal=causal and not glob, init_std=0.5)
    check_local_equals_dense(cfg, seed, L)


@given(L=st.integers(1, 40), seed=st.integers(0, 2**16), glob=st.booleans(), block=st.integers(1, 5),
       layers=st.integers(1, 2), causal=st.booleans(), rel=st.integers(0, 3), heads=st.sampled_from([1, 2]),
       rot=st.sampled_from(["none", "standard", "parity"]))
def test_blocked_equals_dense(L: int, seed: int, glob: bool, block: int, layers: int, causal: bool, rel: int,
                              heads: int, rot: str) -> None:
    hd = 8 // heads
    rotary = {"none": None, "standard": standard_rotary(hd), "parity": parity_rotary(hd)}[rot]
    cfg = ModelConfig(vocab_size=5, mask_id=2, d_model=8, n_heads=heads, n_layers=layers, block=block, rel_clip=rel,
                      rotary=rotary, global_first=glob, causal=causal and not glob, init_std=0.5)
    check_local_equals_dense(cfg, seed, L)


@given(d=st.sampled_from([2, 4, 6]), heads=st.sampled_from([1, 2]), layers=st.integers(1, 3),
       mlp=st.sampled_from([None, 3]), rel=st.integers(0, 3), V=st.integers(2, 7))
def test_param_count_counts_the_arrays(d: int, heads: int, layers: int, mlp: int | None, rel: int,
                                                V: int) -> None:
    cfg = ModelConfig(vocab_size=V, mask_id=0, d_model=d, n_heads=heads, n_layers=layers, d_mlp=mlp, rel_clip=rel)
    params = Transformer(cfg).init(np.random.default_rng(0))
    assert Transformer(cfg).param_count() == sum(a.size for a in params.values())


def test_chunk_mask_is_the_definition() -> None:
    """Query i sees key j iff both are 0, or both are >= 1 and (i-1)//B == (j-1)//B (plus BOS with global_first)."""
    for B in (1, 2, 3):
        for glob in (False, True):
            att = Attention("a.", ModelConfig(vocab_size=3, mask_id=0, d_model=2, block=B, global_first=glob))
            L = 8
            got = att.allowed(np.ones((1, L), bool))[0]
            want = np.array([[(i == 0 and j == 0) or (i > 0 and j > 0 and (i - 1) // B == (j - 1) // B)
                              or (glob and j == 0) for j in range(L)] for i in range(L)])
            assert (got == want).all()


def test_block_and_window_are_exclusive() -> None:
    with pytest.raises(NeuralConfigError, match="window and block"):
        ModelConfig(vocab_size=3, mask_id=0, d_model=2, window=1, block=2)
    with pytest.raises(NeuralConfigError, match="block must be"):
        ModelConfig(vocab_size=3, mask_id=0, d_model=2, block=0)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), glob=st.booleans(), L=st.integers(1, 30))
def test_window_table_equals_forward(seed: int, glob: bool, L: int) -> None:
    check_table(seed, glob, 1, L, V=4)


def test_window_table_equals_forward_radius_two() -> None:
    check_table(5, True, 2, 40, V=3)
    check_table(6, False, 2, 40, V=3)


def check_table(seed: int, glob: bool, window: int, L: int, V: int) -> None:
    cfg = ModelConfig(vocab_size=V, mask_id=2, d_model=4, n_heads=1, window=window, rel_clip=window + 1,
                      rotary=parity_rotary(4) if glob else standard_rotary(4), global_first=glob, init_std=1.0)
    assert table_supported(cfg)
    rng = np.random.default_rng(seed)
    params = Transformer(cfg).init(rng, np.float64)
    params["head.tok.w"] = rng.normal(size=params["head.tok.w"].shape)
    params["head.ctrl.w"] = rng.normal(size=params["head.ctrl.w"].shape)
    params["head.ctrl.b"] = np.zeros(3)
    pred = NeuralPredictor(config=cfg, params=params)
    assert isinstance(pred.table, WindowTable)
    x = rng.integers(0, V, size=L)
    t_tok, t_ctrl, t_margin = pred.decisions(x)
    f_tok, f_ctrl, f_margin = pred.decisions(x, use_table=False)
    assert t_ctrl.tolist() == f_ctrl.tolist()
    masks = x == cfg.mask_id
    assert t_tok[masks].tolist() == f_tok[masks].tolist()
    assert abs(t_margin - f_margin) < 1e-9


def test_table_not_used_when_unsound() -> None:
    base = dict(vocab_size=4, mask_id=2, d_model=4, window=1)
    assert not table_supported(ModelConfig(**base, n_layers=2))
    assert not table_supported(ModelConfig(**base, global_first=True, rotary=standard_rotary(4)))
    assert not table_supported(ModelConfig(vocab_size=4, mask_id=2, d_model=4))
    assert table_supported(ModelConfig(**base, rotary=standard_rotary(4)))


def test_predictor_is_pure_and_thresholds() -> None:
    cfg = ModelConfig(vocab_size=4, mask_id=2, d_model=4, window=1, init_std=1.0)
    rng = np.random.default_rng(0)
    params = Transformer(cfg).init(rng)
    params["head.tok.w"] = rng.normal(size=params["head.tok.w"].shape).astype(np.float32)
    params["head.tok.b"][2] = 100.0  # MASK would win the argmax if it were allowed
    pred = NeuralPredictor(config=cfg, params=params)
    x = np.array([0, 2, 1, 2, 3])
    a = pred(x, np.random.default_rng(1))
    b = pred(x.copy(), np.random.default_rng(99))
    assert a.y.tolist() == b.y.tolist() and a.remask.tolist() == b.remask.tolist()
    assert 2 not in a.y[x == 2].tolist()
    assert a.y[x != 2].tolist() == x[x != 2].tolist()
    out = pred.forward(x)
    assert (a.remask == (out.ctrl[:, 0] > 0)).all() and (a.delete == (out.ctrl[:, 2] > 0)).all()
    for empty in (pred(np.zeros(0, dtype=np.int64), rng), NeuralPredictor(config=cfg, params=params, use_table=False)(
            np.zeros(0, dtype=np.int64), rng)):
        assert empty.y.shape == (0,) and empty.remask is not None and empty.remask.shape == (0,)


def _float_arrays(obj: object) -> list[np.ndarray]:
    """Every floating-point array inside a (nested) cache."""
    if isinstance(obj, np.ndarray):
        return [obj] if obj.dtype.kind == "f" else []
    if isinstance(obj, tuple | list):
        return [a for o in obj for a in _float_arrays(o)]
    return []


@pytest.mark.parametrize("extra", [{"rotary": standard_rotary(4)}, {"rel_clip": 2, "causal": True},
                                   {"window": 1, "global_first": True, "rel_clip": 1}])
def test_float32_training_has_no_float64_activation(extra: dict[str, object]) -> None:
    """A float32 model keeps every activation, cached array and gradient in float32 (a float64 scalar or table
    mixed in silently promotes whole activations under NumPy 2 and doubles their cost)."""
    cfg = ModelConfig(vocab_size=6, mask_id=0, d_model=8, n_heads=2, n_layers=2, **extra)  # type: ignore[arg-type]
    rng = np.random.default_rng(3)
    net = Transformer(cfg)
    params = net.init(rng, np.float32)
    batch = random_batch(rng, 3, 7, cfg.vocab_size, cfg.mask_id)
    out, cache = net.forward(params, batch.x, batch.valid)
    arrays = _float_arrays(cache)
    assert len(arrays) > 10 * cfg.n_layers
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}
    assert out.token.dtype == out.ctrl.dtype == np.float32
    res = apmdm_loss(out, batch, mask_id=cfg.mask_id)
    grads = net.backward(params, res.d_token, res.d_ctrl, cache)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    opt = AdamW(TrainConfig(lr=1e-3, warmup=0, weight_decay=0.01))
    opt.update(params, grads)
    assert {p.dtype for p in params.values()} | {m.dtype for m in opt.m.values()} == {np.dtype(np.float32)}
