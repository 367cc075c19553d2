"""The small layers of the numpy Transformer: embedding, linear, layer norm, GELU-tanh MLP.

Every layer works on a flat parameter dict ``params[name]`` and has the same two methods:

* ``forward(params, x) -> (out, cache)``;
* ``backward(params, dout, cache) -> (dx, grads)`` where ``grads`` maps this layer's parameter names to arrays of
  the parameters' shapes (the embedding returns no ``dx``: its input is integer tokens).

Shapes are written ``(B, L, d)`` for batch, length, width.  The dtype follows the parameters (float32 for training,
float64 for the gradient checks).  Tested against float64 central differences in
``tests/machines/test_neural_layers.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Params = dict[str, np.ndarray]
Grads = dict[str, np.ndarray]

_GELU_C = float(np.sqrt(2.0 / np.pi))
_GELU_K = 0.044715


class Embedding:
    """Token embedding ``E[x]``; ``params[prefix + 'w']`` has shape ``(V, d)``.

    Examples
    --------
    >>> emb = Embedding("tok.")
    >>> p = {"tok.w": np.eye(3)}
    >>> emb.forward(p, np.array([[2, 0]]))[0].tolist()
    [[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]]
    """

    def __init__(self, prefix: str) -> None:
        self.w = prefix + "w"

    def forward(self, params: Params, x: np.ndarray) -> tuple[np.ndarray, Any]:
        return params[self.w][x], x  # (B, L) -> (B, L, d)

    def backward(self, params: Params, dout: np.ndarray, cache: Any) -> tuple[None, Grads]:
        x = cache
        w = params[self.w]
        dw = np.zeros_like(w)
        np.add.at(dw, x.ravel(), dout.reshape(-1, w.shape[1]))
        return None, {self.w: dw}


class Linear:
    """``y = x @ W + b`` over the last axis; ``W`` is ``(d_in, d_out)``.

    Examples
    --------
    >>> lin = Linear("l.")
    >>> lin.forward({"l.w": np.ones((2, 1)), "l.b": np.zeros(1)}, np.array([[1.0, 2.0]]))[0].tolist()
    [[3.0]]
    """

    def __init__(self, prefix: str) -> None:
        self.w, self.b = prefix + "w", prefix + "b"

    def forward(self, params: Params, x: np.ndarray) -> tuple[np.ndarray, Any]:
        w = params[self.w]
        y = x.reshape(-1, w.shape[0]) @ w  # one 2-D GEMM
        y += params[self.b]  # in place: no second (N, d_out) array
        return y.reshape(*x.shape[:-1], w.shape[1]), x

    def backward(self, params: Params, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, Grads]:
        x = cache
        w = params[self.w]
        x2 = x.reshape(-1, w.shape[0])
        d2 = dout.reshape(-1, w.shape[1])
        return (d2 @ w.T).reshape(x.shape), {self.w: x2.T @ d2, self.b: d2.sum(axis=0)}


class LayerNorm:
    """Layer norm over the last axis with gain ``g`` and bias ``b`` (eps 1e-5).

    Examples
    --------
    >>> ln = LayerNorm("n.")
    >>> y, _ = ln.forward({"n.g": np.ones(2), "n.b": np.zeros(2)}, np.array([[1.0, 3.0]]))
    >>> np.round(y, 3).tolist()
    [[-1.0, 1.0]]
    """

    eps = 1e-5

    def __init__(self, prefix: str) -> None:
        self.g, self.b = prefix + "g", prefix + "b"

    def forward(self, params: Params, x: np.ndarray) -> tuple[np.ndarray, Any]:
        xhat = x - x.mean(axis=-1, keepdims=True)  # centred; normalised in place below
        sq = xhat * xhat
        rstd = sq.mean(axis=-1, keepdims=True)
        rstd += self.eps
        np.sqrt(rstd, out=rstd)
        np.reciprocal(rstd, out=rstd)
        xhat *= rstd
        out = np.multiply(xhat, params[self.g], out=sq)  # reuse the squares' buffer
        out += params[self.b]
        return out, (xhat, rstd)

    def backward(self, params: Params, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, Grads]:
        xhat, rstd = cache
        d = xhat.shape[-1]
        flat = dout.reshape(-1, d)
        prod = dout * xhat
        grads = {self.g: prod.reshape(-1, d).sum(axis=0), self.b: flat.sum(axis=0)}
        dxhat = dout * params[self.g]
        prod *= params[self.g]  # now dxhat * xhat
        # dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), in place on two buffers
        np.multiply(xhat, prod.mean(axis=-1, keepdims=True), out=prod)
        dxhat -= dxhat.mean(axis=-1, keepdims=True)
        dxhat -= prod
        dxhat *= rstd
        return dxhat, grads


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (the DDiT's ``GELU(approximate='tanh')``)."""
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + _GELU_K * x * x * x)))


class MLP:
    """``Linear(d, m) -> GELU-tanh -> Linear(m, d)``.

    Examples
    --------
    >>> mlp = MLP("m.")
    >>> p = {"m.fc.w": np.ones((1, 2)), "m.fc.b": np.zeros(2), "m.proj.w": np.ones((2, 1)), "m.proj.b": np.zeros(1)}
    >>> round(float(mlp.forward(p, np.array([[0.0]]))[0][0, 0]), 6)
    0.0
    """

    def __init__(self, prefix: str) -> None:
        self.fc = Linear(prefix + "fc.")
        self.proj = Linear(prefix + "proj.")

    def forward(self, params: Params, x: np.ndarray) -> tuple[np.ndarray, Any]:
        a, c1 = self.fc.forward(params, x)
        # t = tanh(C (a + 0.044715 a^3)), h = a (1 + t) / 2, with two buffers and in-place steps (no float64:
        # every constant is a Python float, which keeps float32 arrays float32)
        t = a * a
        t *= _GELU_K * _GELU_C
        t += _GELU_C
        t *= a
        np.tanh(t, out=t)
        h = t + 1.0
        h *= 0.5
        h *= a
        out, c2 = self.proj.forward(params, h)
        return out, (c1, a, t, c2)

    def backward(self, params: Params, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, Grads]:
        c1, a, t, c2 = cache
        dh, g2 = self.proj.backward(params, dout, c2)
        # GELU' = (1 + t) / 2 + a (1 - t^2) C (1 + 3 * 0.044715 a^2) / 2, built in two buffers
        u = a * a
        u *= 3 * _GELU_K * _GELU_C
        u += _GELU_C
        u *= a
        w = t * t
        np.subtract(1.0, w, out=w)
        u *= w
        u += t
        u += 1.0
        u *= 0.5
        dh *= u  # dh is this layer's own array
        dx, g1 = self.fc.backward(params, dh, c1)
        return dx, {**g1, **g2}
