"""Gradient checks of every layer of the numpy Transformer against float64 central differences (issue 5).

Each check draws small shapes with hypothesis, builds a random scalar objective ``sum(out * R)`` and compares the
analytic gradient of every parameter and of the input with central differences (step 1e-6); the relative error
``|a - n| / max(|a| + |n|, 1e-8)`` on the whole vector must be below 1e-6.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from machines.neural.attention import Attention
from machines.neural.config import ModelConfig, standard_rotary
from machines.neural.layers import MLP, Embedding, LayerNorm, Linear

EPS = 1e-6
TOL = 1e-6


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-8))


def numeric(f, arr: np.ndarray) -> np.ndarray:  # noqa: ANN001
    g = np.zeros_like(arr)
    it = np.nditer(arr, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = arr[i]
        arr[i] = old + EPS
        fp = f()
        arr[i] = old - EPS
        fm = f()
        arr[i] = old
        g[i] = (fp - fm) / (2 * EPS)
    return g


def check_layer(layer, params, x, *extra, has_dx=True):  # noqa: ANN001, ANN201
    rng = np.random.default_rng(7)
    out, _ = layer.forward(params, x, *extra)
    R = rng.normal(size=out.shape)

    def f() -> float:
        return float((layer.forward(params, x, *extra)[0] * R).sum())

    out, cache = layer.forward(params, x, *extra)
    dx, grads = layer.backward(params, R, cache)
    for name, g in grads.items():
        assert g.shape == params[name].shape, name
        err = rel_err(g, numeric(f, params[name]))
        assert err < TOL, (name, err)
    if has_dx:
        err = rel_err(dx, numeric(f, x))
        assert err < TOL, ("dx", err)


dims = st.integers(1, 4)


@given(B=dims, L=dims, d=dims, m=dims, seed=st.integers(0, 2**16))
def test_linear_and_mlp(B: int, L: int, d: int, m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, L, d))
    p = {"l.w": rng.normal(size=(d, m)), "l.b": rng.normal(size=m)}
    check_layer(Linear("l."), p, x)
    p = {"m.fc.w": rng.normal(size=(d, m)), "m.fc.b": rng.normal(size=m), "m.proj.w": rng.normal(size=(m, d)),
         "m.proj.b": rng.normal(size=d)}
    check_layer(MLP("m."), p, x)


@given(B=dims, L=dims, d=st.integers(3, 6), seed=st.integers(0, 2**16))
def test_layernorm(B: int, L: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, L, d))
    p = {"n.g": rng.normal(size=d), "n.b": rng.normal(size=d)}
    check_layer(LayerNorm("n."), p, x)


@given(B=dims, L=dims, V=st.integers(1, 5), d=dims, seed=st.integers(0, 2**16))
def test_embedding(B: int, L: int, V: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, size=(B, L))
    p = {"e.w": rng.normal(size=(V, d))}
    check_layer(Embedding("e."), p, x, has_dx=False)


@given(B=st.integers(1, 3), L=st.integers(1, 5), heads=st.integers(1, 2), hd=st.sampled_from([2, 4]),
       window=st.sampled_from([None, 0, 1, 2]), rel=st.integers(0, 3), rot=st.booleans(), glob=st.booleans(),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_attention(B: int, L: int, heads: int, hd: int, window: int | None, rel: int, rot: bool, glob: bool,
                   causal: bool, seed: int) -> None:
    if glob and causal:
        causal = False
    d = heads * hd
    cfg = ModelConfig(vocab_size=3, mask_id=0, d_model=d, n_heads=heads, window=window, rel_clip=rel,
                      rotary=standard_rotary(hd, 3.0) if rot else None, global_first=glob, causal=causal)
    rng = np.random.default_rng(seed)
    att = Attention("a.", cfg)
    p = {"a.qkv.w": rng.normal(size=(d, 3 * d)), "a.qkv.b": rng.normal(size=3 * d), "a.o.w": rng.normal(size=(d, d)),
         "a.o.b": rng.normal(size=d)}
    if rel:
        p["a.rel"] = rng.normal(size=(heads, 2 * rel + 1))
    x = rng.normal(size=(B, L, d))
    valid = np.ones((B, L), dtype=bool)
    valid[:, L - rng.integers(0, L):] = False  # padding at the end, at least one valid position
    valid[:, 0] = True
    check_layer(att, p, x, valid)
