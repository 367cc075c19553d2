"""Gradient checks of every layer of the numpy Transformer against float64 central differences (issue 5).

Each check draws small shapes with hypothesis, builds a random scalar objective ``f = sum(out * R)`` and compares
the analytic gradient of every parameter and of the input with central differences.  The check is stable by
construction (issue 13), not by luck:

* **Step from the conditioning.**  Component ``i`` moves by ``h_i = cbrt(eps) * max(1, |p_i|)`` (``eps`` the float64
  machine epsilon), the step that balances the two errors of a central difference: truncation ``h^2 |f'''| / 6``
  and rounding ``eps * S / h``, where ``S`` bounds the magnitude of the terms summed into ``f``.
* **Tolerance from the same error model.**  ``|a - n| <= RTOL (|a| + |n|) + ATOL`` on the whole vector, where the
  absolute floor ``ATOL = NOISE * |eps S / h + h^2 S|`` is the rounding-plus-truncation error of the numeric
  derivative with a safety factor; a gradient that is tiny only by cancellation (a relative-position bias under a
  nearly uniform softmax) is then judged against the noise of its estimate, not against itself.  The floor is
  about 1e-8 of the objective's scale ``S``, far below any gradient a wrong formula would change.
* **Well-conditioned examples by construction.**  Inputs and weights are bounded (uniform, scaled by the fan-in), so
  attention logits are bounded and the softmax is not saturated, the GELU and the losses are evaluated where their
  third derivatives are moderate, and the rows a layer norm normalises have a spread far above its ``eps`` (in the
  whole model, where that spread is not set directly, examples below the margin are rejected by ``assume``).
  There is no ReLU (the MLP is GELU-tanh), so there are no kinks to keep away from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from machines.neural.attention import Attention
from machines.neural.config import ModelConfig, standard_rotary
from machines.neural.layers import MLP, Embedding, LayerNorm, Linear

EPS64 = float(np.finfo(np.float64).eps)
STEP = float(np.cbrt(EPS64))  # about 6.1e-6
RTOL = 1e-6
NOISE = 100.0  # safety factor on the error model of the numeric derivative


def numeric(f: Callable[[], float], arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of ``f()`` in every entry of ``arr`` (changed in place and restored), and the steps."""
    g = np.zeros(arr.shape)
    steps = np.zeros(arr.shape)
    for i in np.ndindex(arr.shape):
        old = arr[i]
        h = (old + STEP * max(1.0, abs(old))) - old  # a step that is exact in floating point
        arr[i] = old + h
        fp = f()
        arr[i] = old - h
        fm = f()
        arr[i] = old
        g[i] = (fp - fm) / (2 * h)
        steps[i] = h
    return g, steps


def grad_error(analytic: np.ndarray, num: np.ndarray, steps: np.ndarray, scale: float) -> float:
    """``|a - n| / (RTOL (|a| + |n|) + ATOL)`` over the whole vector; the check passes below 1 (module docstring)."""
    atol = NOISE * float(np.linalg.norm(EPS64 * scale / steps + steps**2 * scale))
    bound = RTOL * float(np.linalg.norm(analytic) + np.linalg.norm(num)) + atol
    return float(np.linalg.norm(np.ravel(analytic) - np.ravel(num))) / bound


def check_layer(layer, params, x, *extra, has_dx=True):  # noqa: ANN001, ANN201
    rng = np.random.default_rng(7)
    out, _ = layer.forward(params, x, *extra)
    R = rng.uniform(-1.0, 1.0, size=out.shape)
    scale = float((np.abs(R) * (1.0 + np.abs(out))).sum())  # bounds the terms summed into f

    def f() -> float:
        return float((layer.forward(params, x, *extra)[0] * R).sum())

    out, cache = layer.forward(params, x, *extra)
    dx, grads = layer.backward(params, R, cache)
    for name, g in grads.items():
        assert g.shape == params[name].shape, name
        err = grad_error(g, *numeric(f, params[name]), scale)
        assert err < 1, (name, err)
    if has_dx:
        err = grad_error(dx, *numeric(f, x), scale)
        assert err < 1, ("dx", err)


def bounded(rng: np.random.Generator, *shape: int, fan_in: int = 1, base: float = 0.0) -> np.ndarray:
    """Uniform on ``base +- 1/fan_in`` (bounded, so every pre-activation built from it is bounded)."""
    return base + rng.uniform(-1.0, 1.0, size=shape) / fan_in


def spread_rows(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Rows with standard deviation in [0.5, 2] and mean in [-1, 1]: a layer norm's variance is far above its eps."""
    z = rng.normal(size=shape)
    z -= z.mean(axis=-1, keepdims=True)
    z /= np.sqrt((z * z).mean(axis=-1, keepdims=True))
    return z * rng.uniform(0.5, 2.0, size=(*shape[:-1], 1)) + rng.uniform(-1.0, 1.0, size=(*shape[:-1], 1))


dims = st.integers(1, 4)


@given(B=dims, L=dims, d=dims, m=dims, seed=st.integers(0, 2**16))
def test_linear_and_mlp(B: int, L: int, d: int, m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = bounded(rng, B, L, d)
    p = {"l.w": bounded(rng, d, m, fan_in=d), "l.b": bounded(rng, m)}
    check_layer(Linear("l."), p, x)
    p = {"m.fc.w": bounded(rng, d, m, fan_in=d), "m.fc.b": bounded(rng, m), "m.proj.w": bounded(rng, m, d, fan_in=m),
         "m.proj.b": bounded(rng, d)}
    check_layer(MLP("m."), p, x)


@given(B=dims, L=dims, d=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_layernorm(B: int, L: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = spread_rows(rng, B, L, d)
    p = {"n.g": bounded(rng, d, base=1.0), "n.b": bounded(rng, d)}
    check_layer(LayerNorm("n."), p, x)


@given(B=dims, L=dims, V=st.integers(1, 5), d=dims, seed=st.integers(0, 2**16))
def test_embedding(B: int, L: int, V: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, size=(B, L))
    p = {"e.w": bounded(rng, V, d)}
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
    # |x| <= 1 and |W| <= 1/d give |q|, |k| <= 1.5 per entry, so |logit| <= 2.25 sqrt(hd) + 1 <= 5.5: no saturation
    p = {"a.qkv.w": bounded(rng, d, 3 * d, fan_in=d), "a.qkv.b": 0.5 * bounded(rng, 3 * d),
         "a.o.w": bounded(rng, d, d, fan_in=d), "a.o.b": bounded(rng, d)}
    if rel:
        p["a.rel"] = bounded(rng, heads, 2 * rel + 1)
    x = bounded(rng, B, L, d)
    valid = np.ones((B, L), dtype=bool)
    valid[:, L - rng.integers(0, L):] = False  # padding at the end, at least one valid position
    valid[:, 0] = True
    check_layer(att, p, x, valid)


def test_the_check_catches_a_small_gradient_error() -> None:
    """The tolerance is not loose: a 0.1% error in one parameter's gradient, or 1e-5 in one entry, fails the check."""
    rng = np.random.default_rng(11)
    cfg = ModelConfig(vocab_size=3, mask_id=0, d_model=4, n_heads=2, rel_clip=2)
    att = Attention("a.", cfg)
    p = {"a.qkv.w": bounded(rng, 4, 12, fan_in=4), "a.qkv.b": bounded(rng, 12), "a.o.w": bounded(rng, 4, 4, fan_in=4),
         "a.o.b": bounded(rng, 4), "a.rel": bounded(rng, 2, 5)}
    x = bounded(rng, 2, 5, 4)
    valid = np.ones((2, 5), dtype=bool)
    R = rng.uniform(-1.0, 1.0, size=(2, 5, 4))
    out, cache = att.forward(p, x, valid)
    scale = float((np.abs(R) * (1.0 + np.abs(out))).sum())
    _, grads = att.backward(p, R, cache)

    def f() -> float:
        return float((att.forward(p, x, valid)[0] * R).sum())

    for name in ("a.rel", "a.qkv.w"):
        num, steps = numeric(f, p[name])
        assert grad_error(grads[name], num, steps, scale) < 1
        assert grad_error(grads[name] * 1.001, num, steps, scale) > 1, name  # 0.1% off on the whole array
        wrong = grads[name].copy()
        wrong.flat[0] += 1e-5  # one entry off by 1e-5 (gradient entries here are about 1e-3 to 1e-1)
        assert grad_error(wrong, num, steps, scale) > 1, name
